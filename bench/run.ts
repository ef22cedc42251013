// The benchmark of the event flow on the real local stack (npm run bench). Every target is a ratio
// to a baseline measured in the same run, on the same two cores, or a figure next to its bound.
// Prints a table and writes bench/results/<time>.json.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { join } from "node:path";
import { Producer } from "@platformatic/kafka";
import pg from "pg";
import { toStructuredCloudEvent, type TaskCreated, type TaskDeleted } from "@todo/shared";
import { binaryEvent, daprDelivery, taskPayload, type CloudEventRequest } from "../tests/support/fixtures.ts";
import { countCopies } from "../tests/support/reminders.ts";
import { clientAuthorization, sleep, stack, tokenOf, waitForTopic, type FunctionName } from "../tests/support/stack.ts";
import { cpuMsBetween, cpuTicksByPiece, pieces, rssMb, selfCpuMs } from "./processes.ts";
import { storeTransactionCost } from "./store-alternative.ts";

const ROOT = join(import.meta.dirname, "..");
const RUN = Date.now().toString(36);
const FUNCTIONS: FunctionName[] = ["publish-task-event", "schedule-reminder", "emit-reminder"];
const PIECES = ["kafka", "postgres", "scheduler", ...FUNCTIONS.flatMap((fn) => [fn, `${fn}-dapr`])];
const now = () => performance.now();

interface Figure {
  readonly name: string;
  readonly n: number;
  readonly p50: number;
  readonly p99?: number;
  readonly unit: string;
  readonly target?: string;
  readonly met?: boolean;
}
const figures: Figure[] = [];
const notes: string[] = [];
const details: Record<string, unknown> = {};

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}
const round = (value: number, digits = 2) => Number(value.toFixed(digits));
function record(name: string, samples: number[], unit: string, target?: { p99?: number; label: string }): Figure {
  const figure: Figure = {
    name,
    n: samples.length,
    p50: round(percentile(samples, 50)),
    p99: round(percentile(samples, 99)),
    unit,
    ...(target ? { target: target.label, met: target.p99 === undefined || percentile(samples, 99) <= target.p99 } : {}),
  };
  figures.push(figure);
  return figure;
}
/** A figure computed from others (a ratio, a difference), beside its bound when it has one. */
function derived(name: string, value: number, unit: string, { n = 1, atMost }: { n?: number; atMost?: number } = {}) {
  const bound =
    atMost === undefined ? {} : { target: `<= ${atMost}${unit === "x" ? "" : " "}${unit}`, met: value <= atMost };
  figures.push({ name, n, p50: round(value), unit, ...bound });
}

/** One keep-alive HTTP client for every request of the benchmark: the same cost on each path. */
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
function send(url: string, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(url, { method: "POST", headers, agent }, (response) => {
      response.resume();
      response.on("end", () => {
        resolve(response.statusCode ?? 0);
      });
    });
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}
/** The stack's tokens, read once: tokenOf reads a file on every call, too much for each request of a load. */
const tokens = {
  client: clientAuthorization(),
  publishDapr: tokenOf("publish-task-event", "dapr"),
  scheduleApp: tokenOf("schedule-reminder", "app"),
};
const publishUrl = () => stack().functions["publish-task-event"].url;
const toFunction = (request: CloudEventRequest) =>
  send(publishUrl(), { ...tokens.client, ...request.headers }, request.body);

const deleted = (id: string, taskId: string): TaskDeleted => ({
  event_id: id,
  event_type: "TaskDeleted",
  schema_version: 1,
  timestamp: new Date().toISOString(),
  correlation_id: id,
  producer: "/bench",
  user_id: "bench",
  task_id: taskId,
});

// --- cold start and memory against the stock runtime ---------------------------------------------

/**
 * The stock runtime with a function that does nothing: the baseline for start time and memory.
 * Inside the checkout, so that it finds the runtime; a second copy has a warm compile cache, as
 * our functions do (NODE_COMPILE_CACHE, see func.yaml): the fair reference for that trick.
 */
function stockFunctionDir(withCompileCache: boolean): string {
  const dir = join(stack().stackDir, withCompileCache ? "bench-stock-compile-cache" : "bench-stock");
  mkdirSync(join(dir, "build"), { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
  writeFileSync(join(dir, "build", "index.js"), "export const handle = () => ({ ok: true });\n");
  if (withCompileCache) {
    copyFileSync(join(ROOT, "scripts", "warm-compile-cache.mjs"), join(dir, "build", "warm-compile-cache.mjs"));
    execFileSync(process.execPath, ["build/warm-compile-cache.mjs"], { cwd: dir });
  }
  return dir;
}

/**
 * schedule-reminder bundled with bench/pg-reminder-store.ts in place of @todo/reminder-store
 * (Prisma): the alternative to Prisma, measured beside the function as it is (not used).
 */
const ON_PG = "schedule-reminder on pg alone (alternative, not used)";
function bundleScheduleReminderOnPg(): string {
  const dir = join(stack().stackDir, "bench-schedule-reminder-pg");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
  execFileSync(
    process.execPath,
    [
      join(ROOT, "scripts", "bundle-function.mjs"),
      `--outdir=${join(dir, "build")}`,
      `--alias=@todo/reminder-store=${join(ROOT, "bench", "pg-reminder-store.ts")}`,
    ],
    { cwd: join(ROOT, "functions", "schedule-reminder"), stdio: "inherit" },
  );
  return dir;
}

type Kind = FunctionName | "stock" | "stock + compile cache" | typeof ON_PG;

/** Each function's environment exactly as scripts/stack.sh gives it (secrets, V8 limits), on `port`. */
function functionEnv(kind: Kind, port: number): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { PATH: process.env["PATH"], FUNC_LOG_LEVEL: "warn" };
  if (kind === "stock + compile cache") {
    Object.assign(base, { NODE_COMPILE_CACHE: ".compile-cache", NODE_COMPILE_CACHE_PORTABLE: "1" });
  }
  const env =
    kind === "stock" || kind === "stock + compile cache"
      ? base
      : Object.fromEntries(
          execFileSync(stack().stackScript, ["function-env", kind === ON_PG ? "schedule-reminder" : kind], {
            encoding: "utf8",
            env: { ...process.env, STACK_DIR: stack().stackDir },
          })
            .split("\n")
            .filter((line) => line.includes("="))
            .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
        );
  return { ...env, FUNC_PORT: String(port) };
}

function startRuntime(env: NodeJS.ProcessEnv, cwd: string): ChildProcess {
  return spawn(join(ROOT, "node_modules", ".bin", "faas-js-runtime"), ["./build/index.js"], {
    cwd,
    env,
    stdio: "ignore",
  });
}

async function untilLive(port: number): Promise<void> {
  for (;;) {
    const live = await fetch(`http://127.0.0.1:${port}/health/liveness`).then(
      (r) => r.ok,
      () => false,
    );
    if (live) return;
    await sleep(2);
  }
}

async function stop(child: ChildProcess): Promise<void> {
  child.kill("SIGTERM");
  await new Promise((resolve) => child.once("exit", resolve));
}

/** Process start -> ready, and resident memory once idle, for each function and the stock runtime. */
async function coldStartAndIdleMemory(starts: number, onPgDir: string): Promise<void> {
  const dirs: Record<Kind, string> = {
    stock: stockFunctionDir(false),
    "stock + compile cache": stockFunctionDir(true),
    ...(Object.fromEntries(FUNCTIONS.map((fn) => [fn, join(ROOT, "functions", fn)])) as Record<FunctionName, string>),
    [ON_PG]: onPgDir,
  };
  const kinds = Object.keys(dirs) as Kind[];
  const ready = Object.fromEntries(kinds.map((k) => [k, [] as number[]])) as Record<Kind, number[]>;
  const idleRss = Object.fromEntries(kinds.map((k) => [k, [] as number[]])) as Record<Kind, number[]>;
  // Read once, before any clock starts: for a function it runs stack.sh.
  const envs = kinds.map((kind, k) => functionEnv(kind, 18800 + k));
  // Interleaved, so that every kind meets the same machine state.
  for (let i = 0; i < starts; i++) {
    for (const [k, kind] of kinds.entries()) {
      const started = now();
      const child = startRuntime(envs[k]!, dirs[kind]);
      await untilLive(18800 + k);
      ready[kind].push(now() - started);
      await sleep(1500); // settled: what a function at rest holds
      idleRss[kind].push(rssMb(child.pid!));
      await stop(child);
    }
  }
  const stockReady = percentile(ready.stock, 50);
  record("cold start: stock faas-js-runtime, process start -> ready", ready.stock, "ms");
  record("cold start: stock runtime with a warm compile cache (reference)", ready["stock + compile cache"], "ms");
  for (const fn of FUNCTIONS) {
    record(`cold start: ${fn}, process start -> ready`, ready[fn], "ms");
    derived(`cold start ratio to the stock runtime (p50): ${fn}`, percentile(ready[fn], 50) / stockReady, "x", {
      atMost: 1.2,
    });
  }
  record(`cold start: ${ON_PG}, process start -> ready`, ready[ON_PG], "ms");
  derived(`cold start ratio to the stock runtime (p50): ${ON_PG}`, percentile(ready[ON_PG], 50) / stockReady, "x", {
    n: starts,
  });
  const cachedStock = percentile(ready["stock + compile cache"], 50);
  for (const fn of FUNCTIONS) {
    derived(
      `cold start ratio to the stock runtime with the same compile cache (p50), reference: ${fn}`,
      percentile(ready[fn], 50) / cachedStock,
      "x",
      { n: starts },
    );
  }
  details["idleRssMb"] = Object.fromEntries(kinds.map((k) => [k, round(percentile(idleRss[k], 50), 1)]));
  details["stockIdleRssMb"] = round(percentile(idleRss.stock, 50), 1);
}

// --- publish latency: function layer, Dapr, and a direct producer --------------------------------

/** The bare node:http forwarder to publish-task-event's daprd (bench/forwarder.mjs) on `port`. */
async function startForwarder(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(ROOT, "bench", "forwarder.mjs")], {
    env: {
      PATH: process.env["PATH"],
      FUNC_PORT: String(port),
      FORWARD_TO: stack().functions["publish-task-event"].dapr,
    },
    stdio: "ignore",
  });
  for (;;) {
    const listening = await fetch(`http://127.0.0.1:${port}/`).then(
      () => true,
      () => false,
    );
    if (listening) return child;
    await sleep(5);
  }
}

/** The same CloudEvent, structured, to daprd's publish API at `base` (daprd itself or the forwarder). */
function toDaprPublish(base: string, id: string, taskId: string): Promise<number> {
  return send(
    `${base}/v1.0/publish/kafka-pubsub/task-events?metadata.partitionKey=${taskId}`,
    { "content-type": "application/cloudevents+json", "dapr-api-token": tokens.publishDapr },
    JSON.stringify(toStructuredCloudEvent(deleted(id, taskId))),
  );
}
const FORWARDER_PORT = 18860;
const forwarderUrl = `http://127.0.0.1:${FORWARDER_PORT}`;

async function publishLatency(events: number): Promise<void> {
  const dapr = stack().functions["publish-task-event"].dapr;
  const forwarder = await startForwarder(FORWARDER_PORT);
  const viaFunction: number[] = [];
  const viaDapr: number[] = [];
  const viaForwarder: number[] = [];
  const direct: number[] = [];
  const producer = new Producer({ clientId: "bench", bootstrapBrokers: [stack().kafka], acks: -1 });
  await producer.send({ messages: [{ topic: "task-updates", key: Buffer.from("warm"), value: Buffer.from("{}") }] });
  // Interleaved, so that all three paths meet the same machine state.
  for (let i = 0; i < events; i++) {
    const taskId = `bench-${i % 50}`;
    let started = now();
    const status = await toFunction(
      binaryEvent("TaskDeleted", `${RUN}-pub-${i}`, { user_id: "bench", task_id: taskId }),
    );
    viaFunction.push(now() - started);
    if (status !== 202) throw new Error(`publish answered ${status}`);

    started = now();
    const daprStatus = await toDaprPublish(dapr, `${RUN}-dapr-${i}`, taskId);
    viaDapr.push(now() - started);
    if (daprStatus !== 204) throw new Error(`daprd answered ${daprStatus}`);

    started = now();
    const forwardedStatus = await toDaprPublish(forwarderUrl, `${RUN}-fwd-${i}`, taskId);
    viaForwarder.push(now() - started);
    if (forwardedStatus !== 204) throw new Error(`the forwarder answered ${forwardedStatus}`);

    const value = Buffer.from(JSON.stringify(toStructuredCloudEvent(deleted(`${RUN}-direct-${i}`, taskId))));
    started = now();
    await producer.send({ messages: [{ topic: "task-events", key: Buffer.from(taskId), value }] });
    direct.push(now() - started);
  }
  await producer.close();
  await stop(forwarder);
  const fn = record("publish: POST to publish-task-event -> Dapr confirmed", viaFunction, "ms", {
    p99: 25,
    label: "p99 <= 25 ms",
  });
  const daprOnly = record("baseline: the same CloudEvent POSTed straight to daprd's publish API", viaDapr, "ms");
  const floor = record("floor: the same, through a bare node:http forwarder to daprd", viaForwarder, "ms");
  derived(
    "floor of any function layer: p50 the bare forwarder adds over straight to daprd",
    floor.p50 - daprOnly.p50,
    "ms",
    {
      n: events,
    },
  );
  const kafkaOnly = record("baseline: a direct Kafka producer (@platformatic/kafka, acks=all)", direct, "ms");
  derived("function layer: p50 added over straight to daprd", fn.p50 - daprOnly.p50, "ms", { n: events, atMost: 0.5 });
  derived("Dapr + function vs a direct Kafka producer (p50)", fn.p50 / kafkaOnly.p50, "x", { atMost: 1.5 });
  derived("floor: Dapr + the bare forwarder vs a direct Kafka producer (p50)", floor.p50 / kafkaOnly.p50, "x");
  derived("Dapr alone vs a direct Kafka producer (p50), for reference", daprOnly.p50 / kafkaOnly.p50, "x");
}

// --- end to end and reminder lateness ------------------------------------------------------------

async function endToEnd(events: number): Promise<void> {
  const db = new pg.Client({ connectionString: stack().databaseUrl });
  await db.connect();
  const samples: number[] = [];
  for (let i = 0; i < events; i++) {
    const taskId = `${RUN}-e2e-${i}`;
    const started = now();
    const request = binaryEvent(
      "TaskCreated",
      `${taskId}-created`,
      taskPayload(taskId, { reminder_time: new Date(Date.now() + 3_600_000).toISOString() }),
    );
    const status = await toFunction(request);
    if (status !== 202) throw new Error(`publish answered ${status}`);
    while ((await db.query("SELECT 1 FROM reminders WHERE task_id = $1", [taskId])).rowCount === 0) {
      if (now() - started > 10_000) throw new Error(`reminder ${taskId} not stored after 10 s`);
      await sleep(2);
    }
    samples.push(now() - started);
  }
  await db.end();
  record("end to end: TaskCreated posted -> reminder row stored", samples, "ms", { p99: 150, label: "p99 <= 150 ms" });
}

/**
 * `reminders` reminders due over `spreadMs`, starting once all of them can be stored: every one
 * must fire exactly once; lateness is the ReminderDue record's time minus the reminder time. The
 * CPU each piece used while they fired goes into the details.
 */
async function remindersFiring(reminders: number, spreadMs: number, label: string): Promise<void> {
  const concurrency = 32;
  // Time to post and store them all (measured ahead of the due time), plus a margin.
  const leadMs = Math.max(5_000, reminders * 6) + 5_000;
  const start = Date.now() + leadMs;
  const due = new Map<string, number>();
  const slug = label.replace(/[^A-Za-z0-9]+/g, "-");
  for (let i = 0; i < reminders; i++) due.set(`${RUN}-${slug}-${i}`, start + Math.round((i * spreadMs) / reminders));
  const keys = [...due.keys()];
  const posting = now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let i = worker; i < keys.length; i += concurrency) {
        const taskId = keys[i]!;
        const request = binaryEvent(
          "TaskCreated",
          `${taskId}-created`,
          taskPayload(taskId, { reminder_time: new Date(due.get(taskId)!).toISOString() }),
        );
        const status = await toFunction(request);
        if (status !== 202) throw new Error(`publish answered ${status}`);
      }
    }),
  );
  const postedInMs = now() - posting;
  if (postedInMs > leadMs - 5_000)
    notes.push(`${label}: posting took ${Math.round(postedInMs)} ms, past the lead of ${leadMs} ms`);
  await sleep(Math.max(0, start - 12_000 - Date.now()));
  const sessions = pieces(stack().run, PIECES);
  const cpuBefore = cpuTicksByPiece(sessions);
  const fired = await waitForTopic("reminders", (r) => due.has(r.key ?? ""), {
    enough: (records) => new Set(records.map((r) => r.key)).size >= reminders,
    timeoutMs: start + spreadMs + 120_000 - Date.now(),
  });
  const cpuMs = cpuMsBetween(cpuBefore, cpuTicksByPiece(sessions));
  await sleep(3_000);
  const all = await waitForTopic("reminders", (r) => due.has(r.key ?? ""), { enough: () => false, timeoutMs: 3_000 });
  const firstByKey = new Map<string, number>();
  for (const r of fired) if (!firstByKey.has(r.key!)) firstByKey.set(r.key!, r.timestamp);
  const lateness = [...firstByKey].map(([key, at]) => at - due.get(key)!);
  const copies = keys.map((key) => countCopies(all.filter((r) => r.key === key)));
  const firedAt = [...firstByKey.values()];
  const firingSeconds = (Math.max(...firedAt) - Math.min(...firedAt)) / 1000;
  record(`${label}: reminder lateness (${reminders} due within ${spreadMs / 1000} s)`, lateness, "ms", {
    p99: 1000,
    label: "p99 <= 1 s",
  });
  const firedOnce = copies.filter((c) => c.events === 1).length;
  figures.push({
    name: `${label}: fired exactly once`,
    n: reminders,
    p50: firedOnce,
    unit: "reminders",
    target: `= ${reminders}, no second event`,
    met: firedOnce === reminders && copies.every((c) => c.events <= 1),
  });
  const reminderPieces = ["emit-reminder", "emit-reminder-dapr", "scheduler", "kafka", "postgres"];
  const perReminder = reminderPieces.reduce((sum, piece) => sum + (cpuMs[piece] ?? 0), 0) / reminders;
  figures.push({
    name: `${label}: reminders fired per second`,
    n: reminders,
    p50: round(reminders / firingSeconds, 0),
    unit: "/s",
  });
  figures.push({
    name: `${label}: CPU per reminder fired (${reminderPieces.join(" + ")})`,
    n: reminders,
    p50: round(perReminder),
    unit: "ms",
  });
  details[`${label}Cpu`] = {
    cpuMsByPiece: cpuMs,
    postedInMs: Math.round(postedInMs),
    identicalCopies: copies.reduce((s, c) => s + c.duplicateCopies, 0),
  };
}

// --- throughput with CPU per event ---------------------------------------------------------------

/** `n` calls, `workers` at a time: each worker makes the next call as soon as its previous one ended. */
async function inParallel(n: number, workers: number, call: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (let i = next++; i < n; i = next++) await call(i);
    }),
  );
}

/** `concurrency` clients posting for `seconds`, each as soon as its previous answer came. */
async function sustained(
  concurrency: number,
  seconds: number,
  post: (id: string, taskId: string) => Promise<number>,
  acceptedStatus: number,
): Promise<{ accepted: number; errors: number; eventsPerSecond: number }> {
  let accepted = 0;
  let errors = 0;
  const started = now();
  const until = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let i = 0; now() < until; i++) {
        const status = await post(`${RUN}-tp-${worker}-${i}`, `bench-${worker}`).catch(() => 0);
        if (status === acceptedStatus) accepted++;
        else errors++;
      }
    }),
  );
  return { accepted, errors, eventsPerSecond: accepted / ((now() - started) / 1000) };
}

async function throughput(concurrency: number, seconds: number): Promise<void> {
  // Baselines first, each with the consumers running as they do behind the function, then quiet.
  const dapr = stack().functions["publish-task-event"].dapr;
  const forwarder = await startForwarder(FORWARDER_PORT);
  const straight = await sustained(concurrency, seconds, (id, t) => toDaprPublish(dapr, `${id}-dapr`, t), 204);
  await untilQuiet(120_000);
  const forwarded = await sustained(concurrency, seconds, (id, t) => toDaprPublish(forwarderUrl, `${id}-fwd`, t), 204);
  await stop(forwarder);
  const ceilings = { "straight to daprd": straight, "through the bare forwarder": forwarded };
  for (const [path, load] of Object.entries(ceilings)) {
    figures.push({
      name: `baseline: sustained publish ${path} (concurrency ${concurrency}, ${seconds} s, ${load.errors} errors)`,
      n: load.accepted + load.errors,
      p50: round(load.eventsPerSecond, 0),
      unit: "events/s",
    });
  }
  await untilQuiet(120_000);

  const sessions = pieces(stack().run, PIECES);
  const peakRss: Record<string, number> = {};
  const sampler = setInterval(() => {
    for (const fn of FUNCTIONS) peakRss[fn] = Math.max(peakRss[fn] ?? 0, rssMb(sessions.get(fn)!));
  }, 200);
  const cpuBefore = cpuTicksByPiece(sessions);
  const clientBefore = selfCpuMs();
  const started = now();
  const load = await sustained(
    concurrency,
    seconds,
    (id, taskId) => toFunction(binaryEvent("TaskDeleted", id, { user_id: "bench", task_id: taskId })),
    202,
  );
  const clientMs = selfCpuMs() - clientBefore;
  // The consumers are still catching up when the load stops: their CPU counts until the stack is quiet.
  await untilQuiet(120_000);
  const caughtUpIn = (now() - started) / 1000;
  const cpuMs = cpuMsBetween(cpuBefore, cpuTicksByPiece(sessions));
  cpuMs["client (this benchmark)"] = clientMs;
  clearInterval(sampler);
  const { accepted, errors, eventsPerSecond: rate } = load;
  figures.push({
    name: `sustained publish throughput (concurrency ${concurrency}, ${seconds} s, ${errors} errors)`,
    n: accepted + errors,
    p50: round(rate, 0),
    unit: "events/s",
    target: ">= 1000/s, no error",
    met: rate >= 1000 && errors === 0,
  });
  derived("sustained publish: through publish-task-event / straight to daprd", rate / straight.eventsPerSecond, "x");
  figures.push({
    name: "accepted events stored by schedule-reminder per second (load + catch-up until quiet)",
    n: accepted,
    p50: round(accepted / caughtUpIn, 0),
    unit: "events/s",
  });
  const perEvent = Object.fromEntries(Object.entries(cpuMs).map(([piece, ms]) => [piece, round(ms / accepted, 3)]));
  for (const [piece, ms] of Object.entries(perEvent)) {
    figures.push({ name: `CPU per accepted event: ${piece}`, n: accepted, p50: ms, unit: "ms" });
  }
  details["throughputCpuMsPerEvent"] = perEvent;
  details["peakRssUnderLoadMb"] = Object.fromEntries(Object.entries(peakRss).map(([fn, mb]) => [fn, round(mb, 1)]));
}

/**
 * Each function within its manifest's limit under load, and back near the stock runtime's idle
 * after it: read once the flow is quiet (the consumers caught up) for 15 s.
 */
async function memoryAfterLoad(): Promise<void> {
  await sleep(15_000);
  const sessions = pieces(stack().run, FUNCTIONS);
  const stockIdle = details["stockIdleRssMb"] as number;
  const peak = details["peakRssUnderLoadMb"] as Record<string, number>;
  for (const fn of FUNCTIONS) {
    const limit = stack().memoryLimitsMb[fn];
    const after = rssMb(sessions.get(fn)!);
    figures.push({
      name: `memory under load, peak: ${fn} (manifest limit ${limit} MB)`,
      n: 1,
      p50: peak[fn] ?? NaN,
      unit: "MB",
      target: `<= ${limit} MB`,
      met: (peak[fn] ?? Infinity) <= limit,
    });
    derived(
      `memory after load: ${fn} (${round(after, 1)} MB) / stock runtime idle (${stockIdle} MB)`,
      after / stockIdle,
      "x",
      {
        atMost: 1.3,
      },
    );
  }
}

/**
 * What faas-js-runtime itself costs per request (fastify, its logging, metrics and health routes):
 * the stock runtime with a handler that does nothing, beside node:http with the same handler (an
 * alternative, not used), each alone on the machine, measured with the same client.
 */
async function runtimeAlternative(requests: number): Promise<void> {
  const port = 18850;
  const env = functionEnv("stock", port);
  const servers: Record<string, () => ChildProcess> = {
    "faas-js-runtime (used)": () => startRuntime(env, stockFunctionDir(false)),
    "node:http alone (alternative, not used)": () =>
      spawn(process.execPath, [join(ROOT, "bench", "node-http-server.mjs")], { env, stdio: "ignore" }),
  };
  const body = JSON.stringify(deleted(`${RUN}-runtime`, "bench-runtime"));
  const cpuPerRequest: Record<string, number> = {};
  for (const [name, start] of Object.entries(servers)) {
    const child = start();
    await untilLive(port);
    const post = () => send(`http://127.0.0.1:${port}/`, { "content-type": "application/json" }, body);
    const load = (n: number) => inParallel(n, 16, post);
    await load(1000); // warm: JIT, sockets
    const root = new Map([[name, child.pid!]]);
    const before = cpuTicksByPiece(root);
    const started = now();
    await load(requests);
    const seconds = (now() - started) / 1000;
    cpuPerRequest[name] = cpuMsBetween(before, cpuTicksByPiece(root))[name]! / requests;
    await stop(child);
    figures.push({
      name: `CPU per request, empty handler: ${name}`,
      n: requests,
      p50: round(cpuPerRequest[name], 3),
      unit: "ms",
    });
    figures.push({
      name: `requests per second, empty handler: ${name}`,
      n: requests,
      p50: round(requests / seconds, 0),
      unit: "/s",
    });
  }
  details["runtimeCpuMsPerRequest"] = cpuPerRequest;
}

/**
 * schedule-reminder's transaction costs most of its CPU per event: Prisma, and beside it the same
 * statements through pg alone (not used; Prisma is on the design card), in this process.
 */
async function storeAlternative(transactions: number): Promise<void> {
  const cost = await storeTransactionCost(stack().databaseUrl, RUN, transactions);
  for (const [client, c] of Object.entries(cost)) {
    figures.push({
      name: `schedule-reminder's transaction via ${client === "pg" ? "pg alone (alternative, not used)" : "Prisma (used)"}: client CPU`,
      n: transactions,
      p50: round(c.clientCpuMs, 3),
      unit: "ms",
    });
  }
  derived("Prisma / pg alone, client CPU per transaction", cost.prisma.clientCpuMs / cost.pg.clientCpuMs, "x", {
    n: transactions,
  });
  details["storeTransaction"] = cost;
}

/** TaskCreated without a reminder, as daprd delivers the record to schedule-reminder (rawPayload). */
function taskCreatedDelivery(id: string, offset: number): CloudEventRequest {
  const created: TaskCreated = {
    event_id: id,
    event_type: "TaskCreated",
    schema_version: 1,
    timestamp: new Date().toISOString(),
    correlation_id: id,
    producer: "/bench",
    ...taskPayload(id, { due_date: null, reminder_time: null }),
  };
  const record = Buffer.from(JSON.stringify(toStructuredCloudEvent(created)));
  const delivery = daprDelivery(record, { topic: "task-events", partition: 0, offset, key: id });
  return { ...delivery, headers: { ...delivery.headers, "dapr-api-token": tokens.scheduleApp } };
}

/**
 * schedule-reminder as it is (Prisma) beside its copy on pg alone, each started fresh on its own
 * port, alone on the machine, fed the same deliveries daprd makes (each a new task: the whole
 * transaction): CPU per delivery, deliveries per second, resident memory once idle after the load.
 */
async function scheduleReminderOnPg(deliveries: number, onPgDir: string): Promise<void> {
  const port = 18870;
  const env = functionEnv("schedule-reminder", port);
  const variants: Record<string, string> = {
    "schedule-reminder (Prisma, used)": join(ROOT, "functions", "schedule-reminder"),
    [ON_PG]: onPgDir,
  };
  const stockIdle = details["stockIdleRssMb"] as number;
  const measured: Record<string, { cpuMs: number; perSecond: number; rssAfterMb: number }> = {};
  for (const [name, dir] of Object.entries(variants)) {
    const child = startRuntime(env, dir);
    await untilLive(port);
    const deliver = (label: string, n: number) =>
      inParallel(n, 8, async (i) => {
        const delivery = taskCreatedDelivery(`${RUN}-alt-${label}-${i}`, i);
        const status = await send(`http://127.0.0.1:${port}/`, delivery.headers, delivery.body);
        if (status !== 200) throw new Error(`${name} answered ${status}`);
      });
    await deliver(`${Object.keys(measured).length}-warm`, 300); // JIT, connections
    const root = new Map([[name, child.pid!]]);
    const before = cpuTicksByPiece(root);
    const started = now();
    await deliver(`${Object.keys(measured).length}`, deliveries);
    const seconds = (now() - started) / 1000;
    const cpuMs = cpuMsBetween(before, cpuTicksByPiece(root))[name]! / deliveries;
    await sleep(15_000);
    measured[name] = {
      cpuMs: round(cpuMs, 3),
      perSecond: round(deliveries / seconds, 0),
      rssAfterMb: round(rssMb(child.pid!), 1),
    };
    await stop(child);
  }
  for (const [name, m] of Object.entries(measured)) {
    figures.push({ name: `CPU per delivery, alone: ${name}`, n: deliveries, p50: m.cpuMs, unit: "ms" });
    figures.push({ name: `deliveries per second, alone: ${name}`, n: deliveries, p50: m.perSecond, unit: "/s" });
    derived(
      `memory after load / stock runtime idle (${stockIdle} MB): ${name} (${m.rssAfterMb} MB)`,
      m.rssAfterMb / stockIdle,
      "x",
    );
  }
  details["scheduleReminderOnPg"] = measured;
}

/** Waits until the stack is quiet (under 5% of a core for a second): a stack just started, or a consumer catching up, is not. */
async function untilQuiet(withinMs = 60_000): Promise<void> {
  const sessions = pieces(stack().run, PIECES);
  for (const deadline = now() + withinMs; now() < deadline;) {
    const before = cpuTicksByPiece(sessions);
    await sleep(1000);
    const used = Object.values(cpuMsBetween(before, cpuTicksByPiece(sessions))).reduce((a, b) => a + b, 0);
    if (used < 50) return;
  }
  notes.push(`the stack did not become quiet within ${withinMs / 1000} s; measured anyway`);
}

// Quiet machine first: start times and memory at rest; then latency; then the loads.
const onPgDir = bundleScheduleReminderOnPg();
await untilQuiet();
await coldStartAndIdleMemory(Number(process.env["COLD_STARTS"] ?? 10), onPgDir);
await publishLatency(Number(process.env["PUBLISH_EVENTS"] ?? 500));
await endToEnd(100);
await remindersFiring(60, 60_000, "reminders over a minute");
await throughput(32, 10);
await memoryAfterLoad();
await runtimeAlternative(10_000);
await storeAlternative(2000);
await scheduleReminderOnPg(3000, onPgDir);
if (process.env["REMINDER_BURST"] !== "0")
  await remindersFiring(Number(process.env["REMINDER_BURST"] ?? 10_000), 60_000, "10k burst");

console.log(`\nbenchmark ${new Date().toISOString()} (2 cores, the whole local stack and this client on them)\n`);
console.table(
  figures.map((f) => ({
    figure: f.name,
    n: f.n,
    p50: f.p50,
    p99: f.p99 ?? "",
    unit: f.unit,
    target: f.target ?? "",
    met: f.met === undefined ? "" : f.met ? "yes" : "NO",
  })),
);
console.log(JSON.stringify(details, null, 2));
for (const note of notes) console.log(`note: ${note}`);
mkdirSync(join(ROOT, "bench", "results"), { recursive: true });
const file = join(ROOT, "bench", "results", `${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
writeFileSync(file, `${JSON.stringify({ at: new Date().toISOString(), figures, details, notes }, null, 2)}\n`);
console.log(`written: ${file}`);
agent.destroy();
