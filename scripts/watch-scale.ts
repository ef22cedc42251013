// Watches the functions scale to zero and back, on any cluster kubectl reaches: the pods of every
// Knative Service in the namespace, through the Kubernetes API's watch. Prints a line when a
// function's pods change (count, ready, revision), each cold start as it happens (a pod becoming
// ready while its function had none: how long from the pod's creation), and each return to zero.
// Stops after --for (default 10m) or on Ctrl-C, with a summary per function.
//
//   node scripts/watch-scale.ts [--namespace todo] [--for 10m] [--json <file>]
//   npm run watch:scale -- --for 5m
//
// --json appends one JSON object per change to <file> (the cluster suite's timeline is made from it).
// When the watch ends before --for (the API server restarted, the node was stopped), it is started
// again every few seconds; pods it no longer lists once it is back are counted as gone.
import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    namespace: { type: "string", default: "todo" },
    for: { type: "string", default: "10m" },
    json: { type: "string" },
    kubectl: { type: "string", default: process.env["KUBECTL"] ?? "kubectl" },
  },
});

/** "90s", "10m", "1h" or plain seconds. */
function durationMs(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(text);
  if (!match) throw new Error(`--for takes 90s, 10m or 1h, not "${text}"`);
  return Number(match[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? "s") as "s" | "m" | "h"];
}

interface PodState {
  readonly service: string;
  readonly revision: string;
  readonly created: number;
  readonly ready: boolean;
  readonly gone: boolean;
  /** Known from before the watch restarted, not listed again yet. */
  readonly stale?: boolean;
}
interface Summary {
  coldStarts: number[];
  zeroes: number;
  maxPods: number;
}

const SEPARATOR = "\u001f";
// One line per watch event: type, pod, service, revision, created, deleting, Ready condition.
const TEMPLATE = [
  "{.type}",
  "{.object.metadata.name}",
  "{.object.metadata.labels.serving\\.knative\\.dev/service}",
  "{.object.metadata.labels.serving\\.knative\\.dev/revision}",
  "{.object.metadata.creationTimestamp}",
  "{.object.metadata.deletionTimestamp}",
  '{.object.status.conditions[?(@.type=="Ready")].status}',
].join(SEPARATOR);

const pods = new Map<string, PodState>();
const summaries = new Map<string, Summary>();
const started = Date.now();

const clock = (at: number) => new Date(at).toISOString().slice(11, 23);
const podsOf = (service: string) => [...pods.values()].filter((pod) => pod.service === service && !pod.gone);

function record(change: Record<string, unknown>): void {
  if (values.json) appendFileSync(values.json, `${JSON.stringify(change)}\n`);
}

function onEvent(line: string): void {
  const [type, name, service, revision, created, deleting, ready] = line.split(SEPARATOR);
  if (!name || !service) return;
  const now = Date.now();
  update(name, service, {
    service,
    revision: revision ?? "",
    created: Date.parse(created ?? "") || now,
    ready: ready === "True" && !deleting,
    gone: type === "DELETED" || Boolean(deleting),
  });
}

/** A pod's new state: prints and records what changed for its function. */
function update(name: string, service: string, state: PodState): void {
  const now = Date.now();
  const before = podsOf(service);
  const wasReady = before.some((pod) => pod.ready);
  pods.set(name, state);
  const after = podsOf(service);
  const summary = summaries.get(service) ?? { coldStarts: [], zeroes: 0, maxPods: 0 };
  summaries.set(service, summary);
  summary.maxPods = Math.max(summary.maxPods, after.length);

  const readyNow = after.filter((pod) => pod.ready).length;
  const revisions = [...new Set(after.map((pod) => pod.revision))].join(",") || "-";
  let note = "";
  if (!wasReady && state.ready && !state.gone) {
    const coldStartMs = now - state.created;
    summary.coldStarts.push(coldStartMs);
    note = `cold start: ${name} ready ${(coldStartMs / 1000).toFixed(1)} s after it was created`;
    record({ at: now, service, event: "cold-start", pod: name, revision: state.revision, ms: coldStartMs });
  } else if (before.length > 0 && after.length === 0) {
    summary.zeroes++;
    note = "at zero";
    record({ at: now, service, event: "zero" });
  }
  if (before.length === after.length && note === "" && wasReady === readyNow > 0) return;
  record({ at: now, service, event: "pods", pods: after.length, ready: readyNow, revisions });
  console.log(
    `${clock(now)}  ${service.padEnd(22)} pods ${String(after.length).padStart(2)} (ready ${readyNow})  ${revisions}${note ? `  ${note}` : ""}`,
  );
}

function printSummary(): void {
  console.log(`\nwatched ${((Date.now() - started) / 1000).toFixed(0)} s in namespace ${values.namespace}:`);
  for (const [service, summary] of summaries) {
    const sorted = [...summary.coldStarts].sort((a, b) => a - b);
    const median = sorted.length ? `${(sorted[Math.floor(sorted.length / 2)]! / 1000).toFixed(1)} s` : "-";
    console.log(
      `  ${service.padEnd(22)} cold starts ${summary.coldStarts.length} (median ${median})  back to zero ${summary.zeroes} times  at most ${summary.maxPods} pods  now ${podsOf(service).length}`,
    );
  }
}

let stopping = false;
let watch: ChildProcess | undefined;
let retry: NodeJS.Timeout | undefined;
/** Since when the watch has been lost (the API server restarting, the node stopped), if it is. */
let lostAt: number | undefined;

/** Starts (or restarts) the watch; its first events list every pod that exists now. */
function startWatch(): void {
  const startedAt = Date.now();
  const child = spawn(
    values.kubectl,
    [
      "get",
      "pods",
      "-n",
      values.namespace,
      "-l",
      "serving.knative.dev/service",
      "--watch",
      "--output-watch-events",
      "-o",
      `jsonpath=${TEMPLATE}{"\\n"}`,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  watch = child;
  createInterface({ input: child.stdout }).on("line", onEvent);
  // Still watching after 5 s: back. Pods it has not listed again 10 s later are gone.
  const alive = setTimeout(() => {
    if (lostAt === undefined) return;
    record({ at: startedAt, event: "watch-back", lostAt });
    console.error(`watching again after ${((startedAt - lostAt) / 1000).toFixed(0)} s without the API server`);
    lostAt = undefined;
    retry = setTimeout(() => {
      for (const [name, pod] of pods)
        if (pod.stale && !pod.gone) update(name, pod.service, { ...pod, gone: true, stale: false });
    }, 10_000);
  }, 5_000);
  child.on("exit", (code) => {
    clearTimeout(alive);
    if (stopping) return;
    if (lostAt === undefined) {
      lostAt = Date.now();
      record({ at: lostAt, event: "watch-lost", exit: code });
      console.error(`kubectl watch ended (exit ${code ?? "signal"}); trying again every 3 s`);
      for (const [name, pod] of pods) if (!pod.gone) pods.set(name, { ...pod, stale: true });
    }
    retry = setTimeout(startWatch, 3_000);
  });
}

function stop(): void {
  if (stopping) return;
  stopping = true;
  clearTimeout(deadline);
  clearTimeout(retry);
  watch?.kill("SIGTERM");
  printSummary();
}
const deadline = setTimeout(stop, durationMs(values.for));
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
startWatch();
console.log(`watching the pods of every Knative Service in ${values.namespace} for ${values.for} (Ctrl-C stops)`);
