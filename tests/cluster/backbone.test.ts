import { spawn, type ChildProcess } from "node:child_process";
import { createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CLOUDEVENT_TYPE, toStructuredCloudEvent } from "@todo/shared";
import { RUN_ID, binaryEvent, structuredEvent, taskPayload } from "../support/fixtures.ts";
import { SECOND, MINUTE, fromNow } from "../support/clock.ts";
import { countCopies } from "../support/reminders.ts";
import { produce } from "../../scripts/kafka-topics.ts";
import type { HttpAnswer } from "../support/stack.ts";
import { measureFootprint, nodeCgroup } from "./footprint.ts";
import {
  FUNCTIONS,
  PodTimeline,
  ROOT,
  allAtZero,
  cluster,
  crashPod,
  kubectl,
  kubectlStream,
  percentile,
  podsOf,
  publicHost,
  publish,
  readTopicToEnd,
  secretOf,
  sleep,
  throughIngress,
  tool,
  toolEnv,
  waitForTopic,
  type FunctionName,
  type ServiceName,
} from "./support.ts";

/**
 * The backbone on the live Minikube cluster (npm run cluster:up): Knative Services at zero, Dapr
 * Shared daprds delivering into them through Knative's activator, the functions deployed by
 * `func deploy`, all inside the node container's enforced budget (2 CPUs, 4 GB). Prints what it
 * measured and writes it to hack/bench/results/cluster-<time>.json, with the scale watch's timeline
 * drawn beside it as cluster-<time>.svg (hack/cluster/timeline.mjs).
 */
const report: Record<string, unknown> = { at: new Date().toISOString(), run: RUN_ID };
const phases: { name: string; start: number; end?: number }[] = [];
const SERVICES: ServiceName[] = ["cold-start-floor", "emit-reminder", "schedule-reminder", "publish-task-event"];
/** Knative scales a revision to zero after its stable window (60 s) and grace period (30 s). */
const ZERO_WITHIN_MS = 240_000;
const NS = () => cluster().namespace;

let sequence = 0;
const nextId = (name: string) => `${RUN_ID}-${name}-${++sequence}`;
const now = () => performance.now();
const stats = (values: number[]) => ({
  n: values.length,
  p50: Math.round(percentile(values, 50)),
  p99: Math.round(percentile(values, 99)),
  max: Math.round(Math.max(...values)),
});

// The scale watch (scripts/watch-scale.ts) runs the whole suite long; its JSON lines become the
// report's timeline.
let watchDir = "";
let watch: ChildProcess | undefined;

beforeAll(async () => {
  // Tokens, read once from the cluster's Secrets (never printed).
  for (const fn of FUNCTIONS) await secretOf(`${fn}-tokens`, "app-api-token");
  await secretOf("publish-task-event-clients", "tokens");
  report["budget"] = nodeCgroup(cluster().node);
  report["restartsAtStart"] = await restarts();
  watchDir = mkdtempSync(join(tmpdir(), "watch-scale-"));
  watch = spawn(
    process.execPath,
    [
      join(ROOT, "scripts", "watch-scale.ts"),
      "--namespace",
      NS(),
      "--for",
      "240m",
      "--json",
      join(watchDir, "scale.jsonl"),
    ],
    { env: toolEnv(), stdio: ["ignore", "pipe", "inherit"] },
  );
  watch.stdout!.resume();
});

beforeEach(({ task }) => {
  phases.push({ name: task.name, start: Date.now() });
});
afterEach(() => {
  phases[phases.length - 1]!.end = Date.now();
});

afterAll(async () => {
  if (watch) {
    const ended = new Promise((resolve) => watch!.once("exit", resolve));
    watch.kill("SIGTERM");
    await Promise.race([ended, sleep(5000)]);
  }
  let timeline: unknown[] = [];
  try {
    timeline = readFileSync(join(watchDir, "scale.jsonl"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as unknown);
  } catch {
    // no line written
  }
  rmSync(watchDir, { recursive: true, force: true });
  const fires = await readTopicToEnd("reminders", (r) => (r.key ?? "").startsWith(RUN_ID)).catch(() => []);
  report["finishedAt"] = new Date().toISOString();
  report["footprintAtEnd"] = nodeCgroup(cluster().node);
  report["phases"] = phases;
  report["reminderFires"] = fires.map((r) => ({ at: r.timestamp, key: r.key }));
  report["timeline"] = timeline;
  console.log(
    `\ncluster test report (${cluster().ingress}):\n${JSON.stringify({ ...report, timeline: `${timeline.length} lines` }, null, 2)}`,
  );
  const dir = join(ROOT, "hack", "bench", "results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `cluster-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(await tool(process.execPath, [join(ROOT, "hack", "cluster", "timeline.mjs"), file]));
});

const created = (taskId: string, reminderTime: string | null) =>
  binaryEvent("TaskCreated", nextId("created"), taskPayload(taskId, { reminder_time: reminderTime }), {
    "ce-time": new Date().toISOString(),
  });
const deleted = (taskId: string) =>
  binaryEvent(
    "TaskDeleted",
    nextId("deleted"),
    { user_id: "user-1", task_id: taskId },
    { "ce-time": new Date().toISOString() },
  );
const updated = (taskId: string, changes: Record<string, unknown>) =>
  binaryEvent(
    "TaskUpdated",
    nextId("updated"),
    { user_id: "user-1", task_id: taskId, changes },
    { "ce-time": new Date().toISOString() },
  );

/** Posts until answered 202, retrying 503s (draining, or a revision coming up) after Retry-After. */
async function publishRetrying(
  request: ReturnType<typeof created>,
  deadline: number,
): Promise<{ answer: HttpAnswer | undefined; retried503: number; errors: number[] }> {
  let retried503 = 0;
  const errors: number[] = [];
  for (;;) {
    const answer = await publish(request).catch(() => undefined);
    if (answer?.status === 202) return { answer, retried503, errors };
    if (answer?.status === 503 && Date.now() < deadline) {
      retried503++;
      await sleep(Number(answer.headers.get("retry-after") ?? "1") * 1000);
      continue;
    }
    errors.push(answer?.status ?? 0);
    return { answer, retried503, errors };
  }
}

/** A request that wakes `service` and gets an answer from its code (not only from the activator). */
async function wake(service: ServiceName): Promise<number> {
  switch (service) {
    case "cold-start-floor":
      return (await throughIngress(service, { method: "GET", headers: {}, body: "" })).status;
    case "publish-task-event":
      return (await publish(deleted(nextId("wake")))).status;
    case "schedule-reminder": {
      // A delivery exactly as its daprd makes it: a (harmless) TaskDeleted record.
      const record = toStructuredCloudEvent({
        event_id: nextId("wake-record"),
        event_type: "TaskDeleted",
        schema_version: 1,
        timestamp: new Date().toISOString(),
        correlation_id: "cluster-test",
        producer: "/cluster-test",
        user_id: "user-1",
        task_id: nextId("wake-task"),
      });
      return (
        await throughIngress(service, {
          headers: {
            "content-type": "application/cloudevents+json",
            "dapr-api-token": await secretOf("schedule-reminder-tokens", "app-api-token"),
          },
          body: JSON.stringify({
            specversion: "1.0",
            id: nextId("delivery"),
            type: "com.dapr.event.sent",
            source: "Dapr",
            data_base64: Buffer.from(JSON.stringify(record)).toString("base64"),
          }),
        })
      ).status;
    }
    case "emit-reminder":
      // The sweep job's trigger, as emit-reminder's daprd delivers it.
      return (
        await throughIngress(service, {
          path: "/job/reminder-sweep",
          headers: {
            "content-type": "application/json",
            "dapr-api-token": await secretOf("emit-reminder-tokens", "app-api-token"),
          },
          body: "{}",
        })
      ).status;
  }
}

/** Restarts and OOM kills of every container of the cluster, by pod. */
async function restarts(): Promise<{ total: number; byPod: Record<string, number>; oomKilled: string[] }> {
  const list = JSON.parse(await kubectl("get", "pods", "-A", "-o", "json")) as {
    items: {
      metadata: { namespace: string; name: string };
      status: {
        containerStatuses?: {
          name: string;
          restartCount: number;
          lastState?: { terminated?: { reason?: string } };
          state?: { terminated?: { reason?: string } };
        }[];
      };
    }[];
  };
  const byPod: Record<string, number> = {};
  const oomKilled: string[] = [];
  let total = 0;
  for (const pod of list.items) {
    const id = `${pod.metadata.namespace}/${pod.metadata.name}`;
    for (const container of pod.status.containerStatuses ?? []) {
      byPod[id] = (byPod[id] ?? 0) + container.restartCount;
      total += container.restartCount;
      if (
        container.lastState?.terminated?.reason === "OOMKilled" ||
        container.state?.terminated?.reason === "OOMKilled"
      ) {
        oomKilled.push(`${id}/${container.name}`);
      }
    }
  }
  return { total, byPod, oomKilled };
}

/** Pods whose restart count grew between two readings. */
const restartedBetween = (before: Awaited<ReturnType<typeof restarts>>, after: Awaited<ReturnType<typeof restarts>>) =>
  Object.entries(after.byPod)
    .filter(([pod, count]) => count > (before.byPod[pod] ?? 0))
    .map(([pod, count]) => `${pod} +${count - (before.byPod[pod] ?? 0)}`);

describe("the backbone on the live cluster", () => {
  it("publishes CloudEvents posted through the ingress, binary and structured, keyed and in order per task", async () => {
    const sent: { eventId: string; taskId: string; type: string }[] = [];
    for (let step = 0; step < 3; step++) {
      for (const task of ["a", "b"]) {
        const taskId = `${RUN_ID}-ingress-${task}`;
        const eventId = nextId(`ingress-${task}-${step}`);
        const encode = step % 2 === 0 ? binaryEvent : structuredEvent;
        const data =
          step === 0
            ? taskPayload(taskId)
            : step === 1
              ? { user_id: "user-1", task_id: taskId, changes: { title: "v1" } }
              : { user_id: "user-1", task_id: taskId };
        const type = (["TaskCreated", "TaskUpdated", "TaskDeleted"] as const)[step]!;
        const answer = await publish(encode(type, eventId, data));
        expect(answer.status, JSON.stringify(answer.body)).toBe(202);
        sent.push({ eventId, taskId, type: CLOUDEVENT_TYPE[type] });
      }
    }
    const records = await readTopicToEnd("task-events", (r) => sent.some((s) => s.eventId === r.value["id"]));
    expect(records).toHaveLength(sent.length);
    for (const { eventId, taskId, type } of sent) {
      const record = records.find((r) => r.value["id"] === eventId)!;
      expect(record.key).toBe(taskId);
      expect(record.value).toMatchObject({
        type,
        subject: taskId,
        source: "/todo/chat-api",
        datacontenttype: "application/json",
      });
    }
    for (const task of ["a", "b"]) {
      const mine = sent
        .filter((s) => s.taskId.endsWith(`-${task}`))
        .map((s) => records.find((r) => r.value["id"] === s.eventId)!);
      expect(new Set(mine.map((r) => r.partition)).size).toBe(1);
      expect(mine.map((r) => r.offset)).toEqual([...mine.map((r) => r.offset)].sort((x, y) => x - y));
    }
    const refused = await throughIngress("publish-task-event", {
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(refused.status).toBe(401);
    report["ingress"] = { events: sent.length, modes: ["binary", "structured"], unauthenticated: refused.status };
  });

  it("answers `func invoke` as a func user types it (token in the CloudEvent extension authtoken): 202, and the event is on task-events", async () => {
    const taskId = `${RUN_ID}-invoke`;
    const id = nextId("invoke");
    const token = await secretOf("publish-task-event-clients", "tokens");
    const url = `http://${publicHost("publish-task-event")}`;
    const args = [
      "invoke",
      "--target",
      url,
      "--format",
      "cloudevent",
      "--id",
      id,
      "--source",
      "/todo/chat-api",
      "--type",
      CLOUDEVENT_TYPE.TaskCreated,
      "--content-type",
      "application/json",
      "--data",
      JSON.stringify(taskPayload(taskId, { reminder_time: null })),
      "-e",
      `authtoken=${token}`,
      "--verbose",
    ];
    // The URL is the Service's own (func describe shows it): <service>.todo.<node IP>.sslip.io. On
    // a user's machine sslip.io resolves it to the node's IP. Here no name may be looked up (the
    // query would leave the machine), so func is given an HTTP proxy on this host that relays each
    // request as it is, for the same host, to the node's IP, port 80, where the ingress answers -
    // and notes the status func got back (func invoke prints the response's body, not its status).
    const seen: { method: string; host: string; status: number }[] = [];
    const relay = createServer((incoming, outgoing) => {
      const target = new URL(incoming.url ?? "/", cluster().ingress);
      const forward = httpRequest(
        `${cluster().ingress}${target.pathname}${target.search}`,
        { method: incoming.method, headers: incoming.headers },
        (answer) => {
          seen.push({
            method: incoming.method ?? "",
            host: incoming.headers.host ?? "",
            status: answer.statusCode ?? 0,
          });
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      forward.on("error", () => outgoing.destroy());
      incoming.pipe(forward);
    });
    await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
    const proxy = `http://127.0.0.1:${(relay.address() as AddressInfo).port}`;
    let output: string;
    try {
      output = await tool("func", args, {
        cwd: ROOT,
        env: { HTTP_PROXY: proxy, http_proxy: proxy, NO_PROXY: "", no_proxy: "" },
      });
    } finally {
      relay.close();
    }
    const shown = output.replace(token, "<token>");
    const [record] = await waitForTopic("task-events", (r) => r.value["id"] === id, {
      enough: (records) => records.length > 0,
      timeoutMs: 30_000,
    });
    report["funcInvoke"] = {
      command: `func invoke --target ${url} --format cloudevent --id ${id} --type ${CLOUDEVENT_TYPE.TaskCreated} --data <task> -e authtoken=<token> --verbose`,
      output: shown,
      answered: seen,
      readBack: record
        ? { topic: "task-events", key: record.key, partition: record.partition, offset: record.offset }
        : null,
    };
    console.log(`func invoke output:\n${shown}`);
    expect(seen).toEqual([{ method: "POST", host: publicHost("publish-task-event"), status: 202 }]);
    expect(shown).toContain("Function invoked.");
    expect(record?.key).toBe(taskId);
    expect(record?.value).toMatchObject({ id, type: CLOUDEVENT_TYPE.TaskCreated, subject: taskId });
  });

  it("scales every function from zero and back: 10 cold starts each through the activator, beside a static server's", async () => {
    const rounds = Number(process.env["COLD_STARTS"] ?? 10);
    const timeline = new PodTimeline(SERVICES);
    const coldStart: Record<string, number[]> = Object.fromEntries(SERVICES.map((s) => [s, []]));
    const lastAnswer: Record<string, number[]> = Object.fromEntries(SERVICES.map((s) => [s, []]));
    try {
      for (let round = 0; round < rounds; round++) {
        await allAtZero(SERVICES, ZERO_WITHIN_MS);
        for (const service of SERVICES) {
          const started = now();
          const status = await wake(service);
          coldStart[service]!.push(now() - started);
          lastAnswer[service]!.push(Date.now());
          expect(status, `${service} answered ${status}`).toBeLessThan(500);
        }
      }
      await allAtZero(SERVICES, ZERO_WITHIN_MS);
    } finally {
      await timeline.stop();
    }
    const toZero = (service: ServiceName) =>
      lastAnswer[service]!.map((answeredAt) => {
        const zero = timeline.zeroAt(service).find((at) => at > answeredAt);
        return zero === undefined ? NaN : (zero - answeredAt) / 1000;
      });
    const floor = percentile(coldStart["cold-start-floor"]!, 50);
    report["coldStart"] = Object.fromEntries(
      SERVICES.map((service) => [
        service,
        {
          ...stats(coldStart[service]!),
          ratioToFloorP50: Number((percentile(coldStart[service]!, 50) / floor).toFixed(2)),
          ratioToFloorP99: Number(
            (percentile(coldStart[service]!, 99) / percentile(coldStart["cold-start-floor"]!, 99)).toFixed(2),
          ),
          secondsFromLastAnswerToZero: stats(
            toZero(service)
              .filter((s) => !Number.isNaN(s))
              .map((s) => s * 1000),
          ),
        },
      ]),
    );
    console.log(
      `pod counts over time (${rounds} rounds: each service woken once per round, then left to go to zero):\n${timeline.render()}`,
    );
    for (const service of SERVICES) {
      expect(coldStart[service]).toHaveLength(rounds);
      expect(timeline.zeroAt(service).length, `${service} went to zero after each round`).toBeGreaterThanOrEqual(
        rounds,
      );
    }
  });

  it("fires reminders exactly once, within 1 s (p99), when every function was at zero before their time; moves, cancels and dead-letters from zero", async () => {
    await allAtZero(FUNCTIONS, ZERO_WITHIN_MS);
    const timeline = new PodTimeline(FUNCTIONS);
    // Far enough ahead for every function to be back at zero before the reminders' jobs fire.
    const remindAt = fromNow(170 * SECOND);
    const tasks = Array.from({ length: 10 }, (_, i) => `${RUN_ID}-zero-${i}`);
    for (const taskId of tasks) expect((await publish(created(taskId, remindAt.toISOString()))).status).toBe(202);
    const moved = `${RUN_ID}-zero-moved`;
    const cancelled = `${RUN_ID}-zero-cancelled`;
    expect((await publish(created(moved, new Date(remindAt.getTime() + 600_000).toISOString()))).status).toBe(202);
    expect((await publish(updated(moved, { reminder_time: remindAt.toISOString() }))).status).toBe(202);
    expect((await publish(created(cancelled, remindAt.toISOString()))).status).toBe(202);
    expect((await publish(deleted(cancelled))).status).toBe(202);
    const poisonKey = `${RUN_ID}-zero-poison`;
    await produce(cluster().kafka, "task-events", [{ key: poisonKey, value: "not a CloudEvent" }]);

    // Every function at zero before the jobs fire (they fire 10 s ahead, to wake emit-reminder).
    const zeroAt = await allAtZero(FUNCTIONS, remindAt.getTime() - 12_000 - Date.now());
    await sleep(remindAt.getTime() + 15_000 - Date.now());
    await timeline.stop();
    const fired = await readTopicToEnd("reminders", (r) => [...tasks, moved, cancelled].includes(r.key ?? ""));
    const copies = (taskId: string) => countCopies(fired.filter((r) => r.key === taskId));
    const lateness = [...tasks, moved].map(
      (taskId) => fired.find((r) => r.key === taskId)!.timestamp - remindAt.getTime(),
    );
    const dead = await readTopicToEnd("task-events-dlq", (r) => r.key === poisonKey);
    report["reminderFromZero"] = {
      reminders: tasks.length + 1,
      allAtZeroSecondsBeforeTime: Math.round((remindAt.getTime() - zeroAt) / 1000),
      latenessMs: stats(lateness),
      firedOnce: [...tasks, moved].filter((t) => copies(t).events === 1).length,
      identicalCopies: [...tasks, moved].reduce((sum, t) => sum + copies(t).duplicateCopies, 0),
      cancelledFired: copies(cancelled).events,
      poisonDeadLettered: dead.length,
      poisonReason: dead[0]?.headers["dlq-reason"],
    };
    console.log(
      `pod counts around the reminder time (t=0: the reminders were posted; their time is t=+170 s):\n${timeline.render()}`,
    );
    for (const taskId of [...tasks, moved]) expect(copies(taskId).events, taskId).toBe(1);
    expect((fired.find((r) => r.key === moved)?.value["data"] as Record<string, unknown>)["event_id"]).toBe(
      `reminder-${moved}-v2`,
    );
    expect(copies(cancelled).events).toBe(0);
    expect(dead).toHaveLength(1);
    expect(percentile(lateness, 99)).toBeLessThanOrEqual(1000);
  });

  it("takes the benchmark's load within the node's enforced budget (2 CPUs, 4 GB): no OOMKill, no restart, no error", async () => {
    const before = await restarts();
    const concurrency = 16;
    const seconds = 60;
    let accepted = 0;
    const errors: number[] = [];
    const latencies: number[] = [];
    const until = Date.now() + seconds * 1000;
    const load = Promise.all(
      Array.from({ length: concurrency }, async (_, worker) => {
        for (let i = 0; Date.now() < until; i++) {
          const taskId = `${RUN_ID}-load-${worker}-${i}`;
          const started = now();
          // No reminder: a reminder armed a day ahead left one scheduler job per accepted task
          // behind (≈ 18 000 per run), which grew the scheduler's memory run after run.
          const answer = await publish(created(taskId, null)).catch(() => ({ status: 0 }));
          latencies.push(now() - started);
          if (answer.status === 202) accepted++;
          else errors.push(answer.status);
        }
      }),
    );
    const footprint = await measureFootprint(cluster().node, seconds, load);
    const after = await restarts();
    report["load"] = {
      concurrency,
      seconds,
      accepted,
      perSecond: Math.round(accepted / seconds),
      errors: errors.length,
      latencyMs: stats(latencies),
      restarted: restartedBetween(before, after),
      oomKilled: after.oomKilled,
    };
    report["footprintUnderLoad"] = footprint;
    expect(errors).toEqual([]);
    expect(after.oomKilled).toEqual([]);
    expect(restartedBetween(before, after)).toEqual([]);
    expect(footprint.node.oomKills).toBe(0);
  });

  it("rolls a new revision of every function out with func deploy under load: no error but retried 503s, nothing lost, reminders once, the old revision drained", async () => {
    const before = await restarts();
    const image = async (fn: FunctionName) =>
      kubectl("get", "ksvc", fn, "-n", NS(), "-o", "jsonpath={.spec.template.spec.containers[0].image}");
    const revision = async (fn: FunctionName) =>
      kubectl("get", "ksvc", fn, "-n", NS(), "-o", "jsonpath={.status.latestReadyRevisionName}");
    /** `func deploy` of the function's own directory (a copy: func rewrites func.yaml) with its current image. */
    const deploy = async (fn: FunctionName, env: string[]) => {
      const started = Date.now();
      await tool(
        "bash",
        [join(ROOT, "hack", "cluster", "backbone.sh"), "deploy", fn, await image(fn), ...env.flatMap((e) => ["-e", e])],
        {
          env: { CLUSTER_ARTIFACTS: "local" },
        },
      );
      return { seconds: Number(((Date.now() - started) / 1000).toFixed(1)), revision: await revision(fn) };
    };

    // Revision A of each function logs every request it serves (faas-js-runtime's own lines at
    // info): that is how its log shows the work it still had when the traffic moved to B.
    const original: Record<string, string> = {};
    const revisionA: Record<string, string> = {};
    for (const fn of FUNCTIONS) {
      original[fn] = await revision(fn);
      revisionA[fn] = (await deploy(fn, ["FUNC_LOG_LEVEL=info"])).revision;
    }
    /** Waits until no pod of these revisions is left (Knative retires a revision with no traffic). */
    const gone = async (revisions: string[], timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      for (const name of revisions) {
        while (Date.now() < deadline && (await podsOf(NS(), `serving.knative.dev/revision=${name}`)).length > 0) {
          await sleep(2000);
        }
      }
    };
    // The original revisions leave first: a node of 2 CPUs fits pods by their CPU requests, and
    // three revisions of every function at once do not fit.
    await gone(Object.values(original), 240_000);

    // Where the traffic goes, as it changes: the Route's status, watched.
    const switchedAt: Record<string, number> = {};
    const routes = kubectlStream(
      "get",
      "ksvc",
      "-n",
      NS(),
      "--watch",
      "--output-watch-events",
      "-o",
      'jsonpath={.object.metadata.name} {.object.status.traffic[0].revisionName}{"\\n"}',
    );
    createInterface({ input: routes.stdout! }).on("line", (line) => {
      const [fn, rev] = line.split(" ");
      if (fn && rev && revisionA[fn] && rev !== revisionA[fn] && switchedAt[fn] === undefined)
        switchedAt[fn] = Date.now();
    });
    // Revision A's pods' logs, from their start until they end (followed from once the load has
    // woken them).
    const logs: Record<string, string[]> = Object.fromEntries(FUNCTIONS.map((fn) => [fn, []]));
    const followLogs = () =>
      FUNCTIONS.map((fn) => {
        const stream = kubectlStream(
          "logs",
          "-n",
          NS(),
          "-f",
          "-l",
          `serving.knative.dev/revision=${revisionA[fn]}`,
          "-c",
          "user-container",
          "--prefix",
          "--max-log-requests",
          "10",
          "--tail",
          "-1",
        );
        createInterface({ input: stream.stdout! }).on("line", (line) => logs[fn]!.push(line));
        return stream;
      });
    let logStreams: ChildProcess[] = [];

    // The load: 16 clients, as in the load test, each retrying a 503 after its Retry-After; and
    // reminders falling due while the rollout goes on and after it.
    const loadStart = Date.now();
    const reminderTasks = Array.from({ length: 10 }, (_, i) => ({
      taskId: `${RUN_ID}-rollout-${i}`,
      remindAt: new Date(loadStart + 60_000 + i * 6_000).toISOString(),
    }));
    const requests: { started: number; ended: number; status: number; id: string }[] = [];
    let retried503 = 0;
    const errors: number[] = [];
    let loading = true;
    const load = Promise.all(
      Array.from({ length: 16 }, async (_, worker) => {
        for (let i = 0; loading; i++) {
          const reminder = worker === 0 ? reminderTasks[i] : undefined;
          const request = reminder
            ? created(reminder.taskId, reminder.remindAt)
            : created(`${RUN_ID}-roll-${worker}-${i}`, null);
          const started = Date.now();
          const result = await publishRetrying(request, started + 60_000);
          retried503 += result.retried503;
          errors.push(...result.errors);
          requests.push({
            started,
            ended: Date.now(),
            status: result.answer?.status ?? 0,
            id: request.headers["ce-id"]!,
          });
        }
      }),
    );
    const rollout: Record<string, unknown> = {};
    try {
      await sleep(10_000);
      logStreams = followLogs();
      await sleep(5_000);
      for (const fn of FUNCTIONS) rollout[fn] = await deploy(fn, ["FUNC_LOG_LEVEL=warn"]);
      await sleep(20_000);
    } catch (error) {
      routes.kill();
      for (const stream of logStreams) stream.kill();
      throw error;
    } finally {
      // Whatever happened, the load stops here (it must not run on into the next tests).
      loading = false;
      await load;
    }
    const loadEnd = Date.now();

    // Revision A goes to zero once no traffic reaches it; its pods drain and end.
    try {
      await gone(Object.values(revisionA), 240_000);
      await sleep(3000);
    } finally {
      routes.kill();
      for (const stream of logStreams) stream.kill();
    }

    const accepted = requests.filter((r) => r.status === 202);
    const onTopic = await readTopicToEnd(
      "task-events",
      (r) => typeof r.value["id"] === "string" && r.value["id"].startsWith(`${RUN_ID}-created`),
    );
    const topicIds = new Set(onTopic.map((r) => r.value["id"] as string));
    const lost = accepted.filter((r) => !topicIds.has(r.id));

    const lastDue = Math.max(...reminderTasks.map((t) => Date.parse(t.remindAt)));
    await sleep(Math.max(0, lastDue + 20_000 - Date.now()));
    const fired = await readTopicToEnd("reminders", (r) => reminderTasks.some((t) => t.taskId === r.key));
    const copies = (taskId: string) => countCopies(fired.filter((r) => r.key === taskId));
    const lateness = reminderTasks.flatMap((t) => {
      const first = fired.find((r) => r.key === t.taskId);
      return first ? [first.timestamp - Date.parse(t.remindAt)] : [];
    });

    /**
     * What revision A's log says (faas-js-runtime's request lines, by pod and request id): the work
     * it accepted (POSTs: events, deliveries, triggers) and how each ended; how much was in flight
     * when its last piece of work arrived (from then on the traffic went to B) and whether all of
     * that finished; what it refused while draining; and its drain on SIGTERM.
     */
    const drained = Object.fromEntries(
      FUNCTIONS.map((fn) => {
        const requestsOfA = new Map<string, { in?: number; out?: number; method?: string; status?: number }>();
        const shutdown: Record<string, unknown>[] = [];
        for (const line of logs[fn]!) {
          let entry: Record<string, unknown>;
          try {
            entry = JSON.parse(line.slice(line.indexOf("{"))) as Record<string, unknown>;
          } catch {
            continue;
          }
          if (entry["msg"] === "drained, shutting down") shutdown.push(entry);
          if (typeof entry["reqId"] !== "string") continue;
          const key = `${line.split(" ")[0]} ${entry["reqId"]}`;
          const request = requestsOfA.get(key) ?? {};
          requestsOfA.set(key, request);
          if (entry["msg"] === "incoming request") {
            request.in = Number(entry["time"]);
            request.method = (entry["req"] as { method?: string } | undefined)?.method;
          } else if (entry["msg"] === "request completed") {
            request.out = Number(entry["time"]);
            request.status = (entry["res"] as { statusCode?: number } | undefined)?.statusCode;
          }
        }
        const work = [...requestsOfA.values()].filter((r) => r.method === "POST" && r.in !== undefined);
        const lastIn = Math.max(...work.map((r) => r.in!));
        const inFlight = work.filter((r) => r.in! <= lastIn && (r.out === undefined || r.out >= lastIn));
        const statuses: Record<string, number> = {};
        for (const r of work)
          statuses[String(r.status ?? "unanswered")] = (statuses[String(r.status ?? "unanswered")] ?? 0) + 1;
        return [
          fn,
          {
            revisionA: revisionA[fn],
            pods: new Set(logs[fn]!.map((l) => l.split(" ")[0])).size,
            workAccepted: work.length,
            statuses,
            lastWorkArrivedVsRouteMovedMs: work.length && switchedAt[fn] ? lastIn - switchedAt[fn] : null,
            inFlightWhenLastWorkArrived: inFlight.length,
            ofThoseFinished: inFlight.filter((r) => r.status !== undefined && r.status < 300).length,
            lastFinishedAfterLastArrivedMs: work.length ? Math.max(...work.map((r) => r.out ?? 0)) - lastIn : null,
            refusedDraining: work.filter((r) => r.status === 503).length,
            shutdownLines: shutdown.length,
            stillInFlightAtExit: shutdown.map((l) => Number(l["still_in_flight"])),
          },
        ];
      }),
    );
    const after = await restarts();
    report["rollingUpgrade"] = {
      clients: 16,
      seconds: Math.round((loadEnd - loadStart) / 1000),
      original,
      rollout,
      trafficMovedAfterLoadStartS: Object.fromEntries(
        Object.entries(switchedAt).map(([fn, at]) => [fn, Number(((at - loadStart) / 1000).toFixed(1))]),
      ),
      requests: requests.length,
      accepted: accepted.length,
      retried503,
      errors: errors.length,
      errorStatuses: [...new Set(errors)],
      lost: lost.length,
      reminders: reminderTasks.length,
      remindersFiredOnce: reminderTasks.filter((t) => copies(t.taskId).events === 1).length,
      reminderIdenticalCopies: reminderTasks.reduce((sum, t) => sum + copies(t.taskId).duplicateCopies, 0),
      reminderLatenessMs: lateness.length ? stats(lateness) : null,
      revisionA: drained,
      restarted: restartedBetween(before, after),
    };
    console.log(`rolling upgrade:\n${JSON.stringify(report["rollingUpgrade"], null, 2)}`);
    expect(errors).toEqual([]);
    expect(lost).toEqual([]);
    for (const t of reminderTasks) expect(copies(t.taskId).events, t.taskId).toBe(1);
    expect(restartedBetween(before, after)).toEqual([]);
    for (const fn of FUNCTIONS) {
      expect((rollout[fn] as { revision: string }).revision, `${fn}: a new revision`).not.toBe(revisionA[fn]);
      expect(switchedAt[fn], `${fn}: the traffic moved off revision A`).toBeDefined();
      expect(
        (await podsOf(NS(), `serving.knative.dev/revision=${revisionA[fn]}`)).length,
        `${fn}: revision A ended`,
      ).toBe(0);
    }
    // Revision A had work in flight when its traffic moved to B, and finished all of it; nothing it
    // accepted went unanswered or failed (a 503 while draining is retried by the client or Dapr).
    const publisher = drained["publish-task-event"]!;
    expect(publisher.workAccepted).toBeGreaterThan(0);
    expect(publisher.inFlightWhenLastWorkArrived).toBeGreaterThan(1);
    for (const fn of FUNCTIONS) {
      const a = drained[fn]!;
      expect(a.ofThoseFinished, `${fn}: A finished what it had in flight`).toBe(a.inFlightWhenLastWorkArrived);
      expect(
        Object.keys(a.statuses).filter((s) => !["200", "202", "503"].includes(s)),
        fn,
      ).toEqual([]);
    }
    for (const fn of FUNCTIONS) {
      const a = drained[fn]!;
      if (a.shutdownLines > 0)
        expect(
          a.stillInFlightAtExit.every((n) => n === 0),
          fn,
        ).toBe(true);
    }
  });

  it("wakes no function without a user event while idle, and measures the idle footprint", async () => {
    await allAtZero(FUNCTIONS, ZERO_WITHIN_MS);
    const timeline = new PodTimeline(FUNCTIONS);
    const footprint = await measureFootprint(cluster().node, Number(process.env["IDLE_SECONDS"] ?? 180));
    await timeline.stop();
    const wakes = Object.fromEntries(FUNCTIONS.map((fn) => [fn, timeline.wakes(fn)]));
    report["idle"] = {
      seconds: footprint.seconds,
      wakes,
      sweepSchedule: "@every 1h (24 wakes a day of emit-reminder)",
    };
    report["footprintIdle"] = footprint;
    expect(Object.values(wakes)).toEqual([0, 0, 0]);
    expect(footprint.node.oomKills).toBe(0);
  });
});

/** What a kill of one pod mid-flow may not do: lose an accepted event, fire a reminder twice or not at all. */
describe("crashing a pod mid-flow (SIGKILL to its processes)", () => {
  const targets: [string, string, string][] = [
    ["a function pod (publish-task-event)", "todo", "serving.knative.dev/service=publish-task-event"],
    ["a Dapr Shared daprd (schedule-reminder-dapr)", "todo", "app.kubernetes.io/name=schedule-reminder-dapr"],
    ["a Dapr Shared daprd (emit-reminder-dapr)", "todo", "app.kubernetes.io/name=emit-reminder-dapr"],
    [
      "the Dapr scheduler (dapr-scheduler-server-0)",
      "dapr-system",
      "statefulset.kubernetes.io/pod-name=dapr-scheduler-server-0",
    ],
    ["the broker (kafka-0)", "kafka", "app.kubernetes.io/name=kafka"],
    ["PostgreSQL (postgres-0)", "todo", "app.kubernetes.io/name=postgres"],
  ];
  const rows: Record<string, unknown>[] = [];
  afterAll(() => {
    report["kills"] = rows;
    console.table(rows);
  });

  it.each(targets)("kill %s", { timeout: 600_000 }, async (name, namespace, selector) => {
    const before = await restarts();
    const start = Date.now();
    const deadline = start + 120_000;
    const tasks = Array.from({ length: 10 }, (_, i) => ({
      taskId: `${RUN_ID}-kill-${rows.length}-${i}`,
      remindAt: new Date(start + 45_000 + i * 500).toISOString(),
      cancel: i % 4 === 3,
    }));
    const accepted: string[] = [];
    const flows = tasks.map(async (task, i) => {
      await sleep(i * 300);
      const create = created(task.taskId, task.remindAt);
      const ok = await sendUntilAccepted(() => publish(create), deadline);
      if (ok) accepted.push(create.headers["ce-id"]!);
      if (!ok || !task.cancel) return { ...task, created: ok, cancelledInTime: false };
      const remove = deleted(task.taskId);
      const removed = await sendUntilAccepted(() => publish(remove), deadline);
      if (removed) accepted.push(remove.headers["ce-id"]!);
      return { ...task, created: ok, cancelledInTime: removed && Date.now() < Date.parse(task.remindAt) - 15_000 };
    });
    await sleep(1_000);
    const [pod] = (await podsOf(namespace, selector)).map((p) => p.metadata.name);
    const killedProcesses = pod ? await crashPod(namespace, pod) : 0;
    const outcomes = await Promise.all(flows);
    const onTopic = await readTopicToEnd("task-events", (r) => accepted.includes(r.value["id"] as string));
    const due = outcomes.filter((o) => o.created && !o.cancelledInTime && !o.cancel);
    const lastDue = Math.max(...due.map((o) => Date.parse(o.remindAt)));
    await waitForTopic("reminders", (r) => due.some((o) => o.taskId === r.key), {
      enough: (records) => new Set(records.map((r) => r.key)).size >= due.length,
      timeoutMs: Math.max(0, lastDue - Date.now()) + 180_000,
    });
    await sleep(5_000);
    const fired = await readTopicToEnd("reminders", (r) => outcomes.some((o) => o.taskId === r.key));
    const copies = (taskId: string) => countCopies(fired.filter((r) => r.key === taskId));
    const lateness = due.flatMap((o) => {
      const first = fired.find((r) => r.key === o.taskId);
      return first ? [first.timestamp - Date.parse(o.remindAt)] : [];
    });
    const after = await restarts();
    const restarted = restartedBetween(before, after);
    const row = {
      killed: name,
      pod: pod ?? "(none found)",
      killedProcesses,
      sent: tasks.length + tasks.filter((t) => t.cancel).length,
      accepted: accepted.length,
      lost: accepted.filter((id) => !onTopic.some((r) => r.value["id"] === id)).length,
      remindersDue: due.length,
      firedOnce: due.filter((o) => copies(o.taskId).events === 1).length,
      firedTwice: due.filter((o) => copies(o.taskId).events > 1).length,
      identicalCopies: due.reduce((sum, o) => sum + copies(o.taskId).duplicateCopies, 0),
      cancelledFired: outcomes.filter((o) => o.cancelledInTime && copies(o.taskId).events > 0).length,
      latenessMsMax: lateness.length ? Math.max(...lateness) : null,
      restarted: restarted.join(", "),
      oomKilled: after.oomKilled.length,
    };
    rows.push(row);
    expect(pod, `a pod matching ${selector} in ${namespace}`).toBeDefined();
    expect(killedProcesses).toBeGreaterThan(0);
    expect(row.lost).toBe(0);
    expect(row.firedOnce).toBe(row.remindersDue);
    expect(row.firedTwice).toBe(0);
    expect(row.cancelledFired).toBe(0);
    expect(after.oomKilled).toEqual([]);
    // Only the killed pod restarted (a function pod is replaced rather than restarted).
    expect(restarted.filter((r) => !r.startsWith(`${namespace}/${pod ?? ""} `))).toEqual([]);
  });
});

/** Posts until accepted (202) or the deadline passes; a crash makes some attempts fail on the way. */
async function sendUntilAccepted(send: () => Promise<HttpAnswer>, deadline: number): Promise<boolean> {
  while (Date.now() < deadline) {
    const answer = await send().catch(() => undefined);
    if (answer?.status === 202) return true;
    await sleep(500);
  }
  return false;
}

describe("the whole node stopped and started again", () => {
  it(
    "fires each reminder that fell due while everything was down exactly once, promptly after the start; later ones on time",
    { timeout: 1_500_000 },
    async () => {
      const oomBefore = nodeCgroup(cluster().node).oomKills;
      const t0 = Date.now();
      // Six fall due while the node is stopped; four after it is back (armed before the stop).
      const early = Array.from({ length: 6 }, (_, i) => ({
        taskId: `${RUN_ID}-down-${i}`,
        remindAt: t0 + 60_000 + i * 1000,
      }));
      const late = Array.from({ length: 4 }, (_, i) => ({
        taskId: `${RUN_ID}-after-${i}`,
        remindAt: t0 + 8 * MINUTE + i * 1000,
      }));
      for (const t of [...early, ...late]) {
        expect((await publish(created(t.taskId, new Date(t.remindAt).toISOString()))).status).toBe(202);
      }
      // Armed: a PENDING row per reminder (schedule-reminder writes it, then schedules the job).
      const pending = async () =>
        Number(
          (
            await kubectl(
              "exec",
              "-n",
              NS(),
              "postgres-0",
              "-c",
              "postgres",
              "--",
              "psql",
              "-U",
              "todo",
              "-d",
              "todo",
              "-Atc",
              `select count(*) from reminders where status = 'PENDING' and (task_id like '${RUN_ID}-down-%' or task_id like '${RUN_ID}-after-%')`,
            )
          ).trim(),
        );
      while ((await pending()) < early.length + late.length && Date.now() < t0 + 40_000) await sleep(1000);
      expect(await pending()).toBe(early.length + late.length);
      await sleep(5_000);

      const up = (command: "down" | "start") =>
        tool("bash", [join(ROOT, "hack", "cluster", "up.sh"), "--artifacts", "local", command], { timeoutMs: 900_000 });
      const stopAt = Date.now();
      await up("down");
      const stoppedAt = Date.now();
      // Down until every early reminder is at least 20 s overdue.
      await sleep(Math.max(0, Math.max(...early.map((t) => t.remindAt)) + 20_000 - Date.now()));
      const startAt = Date.now();
      await up("start");
      const startedAt = Date.now();

      await waitForTopic("reminders", (r) => early.some((t) => t.taskId === r.key), {
        enough: (records) => new Set(records.map((r) => r.key)).size >= early.length,
        timeoutMs: 10 * MINUTE,
      });
      await sleep(Math.max(0, Math.max(...late.map((t) => t.remindAt)) + 20_000 - Date.now()));
      const fired = await readTopicToEnd("reminders", (r) => [...early, ...late].some((t) => t.taskId === r.key));
      const copies = (taskId: string) => countCopies(fired.filter((r) => r.key === taskId));
      const firstFire = (taskId: string) => fired.find((r) => r.key === taskId)?.timestamp;
      const afterStart = early.map((t) => (firstFire(t.taskId) ?? NaN) - startedAt);
      const lateness = late.map((t) => (firstFire(t.taskId) ?? NaN) - t.remindAt);
      report["wholeRestart"] = {
        stopSeconds: Math.round((stoppedAt - stopAt) / 1000),
        downSeconds: Math.round((startAt - stoppedAt) / 1000),
        startSeconds: Math.round((startedAt - startAt) / 1000),
        fellDueWhileDown: early.length,
        overdueAtStartS: early.map((t) => Math.round((startAt - t.remindAt) / 1000)),
        firedOnce: early.filter((t) => copies(t.taskId).events === 1).length,
        identicalCopies: [...early, ...late].reduce((sum, t) => sum + copies(t.taskId).duplicateCopies, 0),
        conflictingCopies: [...early, ...late].reduce((sum, t) => sum + copies(t.taskId).conflictingCopies, 0),
        firedAfterStartMs: stats(afterStart.filter((n) => !Number.isNaN(n))),
        dueAfterStart: late.length,
        dueAfterStartFiredOnce: late.filter((t) => copies(t.taskId).events === 1).length,
        dueAfterStartLatenessMs: stats(lateness.filter((n) => !Number.isNaN(n))),
        nodeOomKills: nodeCgroup(cluster().node).oomKills,
      };
      console.log(`whole restart:\n${JSON.stringify(report["wholeRestart"], null, 2)}`);
      for (const t of [...early, ...late]) {
        expect(copies(t.taskId).events, t.taskId).toBe(1);
        expect(copies(t.taskId).duplicateCopies, `${t.taskId}: identical copies`).toBe(0);
      }
      // Promptly: within three minutes of the node being back (Dapr's scheduler, the daprds and
      // Knative come back first); the ones due later at their time.
      expect(Math.max(...afterStart)).toBeLessThan(3 * MINUTE);
      expect(Math.max(...lateness)).toBeLessThanOrEqual(1000);
      expect(nodeCgroup(cluster().node).oomKills).toBe(oomBefore);
    },
  );
});
