// The benchmark of the event flow on the real local stack (npm run bench). Prints a table and
// writes bench/results/<time>.json. Each figure: p50/p99 over a stated number of events, and the
// baseline measured in the same run. Bounded: a few thousand requests, about two minutes.
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Producer } from "@platformatic/kafka";
import pg from "pg";
import { toStructuredCloudEvent, type TaskDeleted } from "@todo/shared";
import { binaryEvent, taskPayload } from "../tests/support/fixtures.ts";
import { post, sleep, stack, tokenOf, waitForTopic } from "../tests/support/stack.ts";

const ROOT = join(import.meta.dirname, "..");
const RUN = Date.now().toString(36);
const now = () => performance.now();

interface Figure {
  readonly name: string;
  readonly events: number;
  readonly p50: number;
  readonly p99: number;
  readonly unit: string;
  readonly target?: string;
  readonly met?: boolean;
}
const figures: Figure[] = [];
const notes: string[] = [];

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}
function record(name: string, samples: number[], unit: string, target?: { p99: number; label: string }): Figure {
  const figure = {
    name,
    events: samples.length,
    p50: round(percentile(samples, 50)),
    p99: round(percentile(samples, 99)),
    unit,
    ...(target ? { target: target.label, met: percentile(samples, 99) <= target.p99 } : {}),
  };
  figures.push(figure);
  return figure;
}
const round = (value: number) => Math.round(value * 100) / 100;

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

async function publishLatency(events: number): Promise<void> {
  const viaFunction: number[] = [];
  for (let i = 0; i < events; i++) {
    const request = binaryEvent("TaskDeleted", `${RUN}-pub-${i}`, { user_id: "bench", task_id: `bench-${i % 50}` });
    const started = now();
    const answer = await post("publish-task-event", request);
    viaFunction.push(now() - started);
    if (answer.status !== 202) throw new Error(`publish answered ${answer.status}`);
  }
  // Baseline: the same structured CloudEvent produced straight to the topic (acks=all, keyed).
  const producer = new Producer({ clientId: "bench", bootstrapBrokers: [stack().kafka], acks: -1 });
  const direct: number[] = [];
  for (let i = 0; i < events; i++) {
    const value = JSON.stringify(toStructuredCloudEvent(deleted(`${RUN}-direct-${i}`, `bench-${i % 50}`)));
    const started = now();
    await producer.send({
      messages: [{ topic: "task-events", key: Buffer.from(`bench-${i % 50}`), value: Buffer.from(value) }],
    });
    direct.push(now() - started);
  }
  await producer.close();
  const fn = record("publish latency: POST -> Dapr confirmed", viaFunction, "ms", { p99: 25, label: "p99 <= 25 ms" });
  const base = record("baseline: Kafka producer -> broker ack", direct, "ms");
  const ratio = fn.p50 / base.p50;
  figures.push({
    name: "Dapr + function cost (p50 ratio to baseline)",
    events,
    p50: round(ratio),
    p99: round(fn.p99 / base.p99),
    unit: "x",
    target: "<= 1.5x",
    met: ratio <= 1.5,
  });
}

async function endToEnd(events: number): Promise<void> {
  const db = new pg.Client({ connectionString: stack().databaseUrl });
  await db.connect();
  const samples: number[] = [];
  for (let i = 0; i < events; i++) {
    const taskId = `${RUN}-e2e-${i}`;
    const started = now();
    const answer = await post(
      "publish-task-event",
      binaryEvent(
        "TaskCreated",
        `${taskId}-created`,
        taskPayload(taskId, { reminder_time: new Date(Date.now() + 3_600_000).toISOString() }),
      ),
    );
    if (answer.status !== 202) throw new Error(`publish answered ${answer.status}`);
    while ((await db.query("SELECT 1 FROM reminders WHERE task_id = $1", [taskId])).rowCount === 0) {
      if (now() - started > 10_000) throw new Error(`reminder ${taskId} not stored after 10 s`);
      await sleep(2);
    }
    samples.push(now() - started);
  }
  await db.end();
  record("end to end: TaskCreated posted -> reminder row stored", samples, "ms", { p99: 150, label: "p99 <= 150 ms" });
}

async function reminderLateness(reminders: number, spreadMs: number): Promise<void> {
  const start = Date.now() + 3_000;
  const due = new Map<string, number>();
  for (let i = 0; i < reminders; i++) {
    const taskId = `${RUN}-late-${i}`;
    const at = start + Math.round((i * spreadMs) / reminders);
    due.set(taskId, at);
    const answer = await post(
      "publish-task-event",
      binaryEvent(
        "TaskCreated",
        `${taskId}-created`,
        taskPayload(taskId, { reminder_time: new Date(at).toISOString() }),
      ),
    );
    if (answer.status !== 202) throw new Error(`publish answered ${answer.status}`);
  }
  const fired = await waitForTopic("reminders", (r) => due.has(r.key ?? ""), {
    enough: (records) => new Set(records.map((r) => r.key)).size >= reminders,
    timeoutMs: spreadMs + 15_000,
  });
  const lateness = [...new Map(fired.map((r) => [r.key!, r.timestamp - due.get(r.key!)!])).values()];
  if (lateness.length < reminders)
    notes.push(`reminder lateness: only ${lateness.length} of ${reminders} fired in time to be measured`);
  record(
    `reminder lateness (ReminderDue on topic - reminder time; ${reminders} over ${spreadMs / 1000} s)`,
    lateness,
    "ms",
    { p99: 1000, label: "p99 <= 1 s" },
  );
}

async function throughput(concurrency: number, seconds: number): Promise<void> {
  let ok = 0;
  let failed = 0;
  const until = now() + seconds * 1000;
  const started = now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let i = 0; now() < until; i++) {
        const answer = await post(
          "publish-task-event",
          binaryEvent("TaskDeleted", `${RUN}-tp-${worker}-${i}`, { user_id: "bench", task_id: `bench-${worker}` }),
        );
        if (answer.status === 202) ok++;
        else failed++;
      }
    }),
  );
  const rate = ok / ((now() - started) / 1000);
  figures.push({
    name: `sustained publish throughput (concurrency ${concurrency}, ${seconds} s, ${failed} errors)`,
    events: ok + failed,
    p50: round(rate),
    p99: round(rate),
    unit: "events/s",
    target: ">= 1000/s, no error",
    met: rate >= 1000 && failed === 0,
  });
}

async function coldStart(starts: number): Promise<void> {
  const dir = join(ROOT, "functions", "publish-task-event");
  const ready: number[] = [];
  const firstEvent: number[] = [];
  for (let i = 0; i < starts; i++) {
    const port = 18181 + i;
    const started = now();
    const child = spawn(join(ROOT, "node_modules", ".bin", "faas-js-runtime"), ["./build/index.js"], {
      cwd: dir,
      env: {
        ...process.env,
        FUNC_PORT: String(port),
        DAPR_HTTP_ENDPOINT: stack().functions["publish-task-event"].dapr,
        DAPR_API_TOKEN: tokenOf("publish-task-event", "dapr"),
        PUBLISH_API_TOKENS: tokenOf("publish-task-event", "clients"),
      },
      stdio: "ignore",
    });
    while (
      !(await fetch(`http://127.0.0.1:${port}/health/liveness`).then(
        (r) => r.ok,
        () => false,
      ))
    )
      await sleep(2);
    ready.push(now() - started);
    const request = binaryEvent("TaskDeleted", `${RUN}-cold-${i}`, { user_id: "bench", task_id: "bench-cold" });
    const sent = now();
    const answer = await fetch(`http://127.0.0.1:${port}/`, {
      method: "POST",
      headers: { ...request.headers, authorization: `Bearer ${tokenOf("publish-task-event", "clients")}` },
      body: request.body,
    });
    firstEvent.push(now() - sent);
    if (answer.status !== 202) notes.push(`cold start ${i}: first event answered ${answer.status}`);
    child.kill("SIGTERM");
    await new Promise((resolve) => child.once("exit", resolve));
  }
  record("cold start: process start -> ready (publish-task-event)", ready, "ms", { p99: 300, label: "p99 <= 300 ms" });
  record("cold start: first event on a just-started function", firstEvent, "ms");
}

function residentMemory(when: string): void {
  for (const fn of ["publish-task-event", "schedule-reminder", "emit-reminder"]) {
    const pid = readFileSync(join(stack().run, `${fn}.pid`), "utf8").trim();
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
    const mb = round(rssKb / 1024);
    figures.push({
      name: `resident memory ${when}: ${fn}`,
      events: 1,
      p50: mb,
      p99: mb,
      unit: "MB",
      target: "<= 80 MB",
      met: mb <= 80,
    });
  }
}

// Cold start and idle memory first, while the machine is quiet; then the load.
residentMemory("idle, before the run");
await coldStart(5);
await publishLatency(500);
await endToEnd(100);
// Before the throughput run: its 5 000 events would queue in front of the reminders' creations.
await reminderLateness(60, 60_000);
await throughput(32, 10);
residentMemory("after the run");

console.log(`\nbenchmark ${new Date().toISOString()} (2 cores, real local stack on 127.0.0.1)\n`);
console.table(
  figures.map((f) => ({
    figure: f.name,
    n: f.events,
    p50: f.p50,
    p99: f.p99,
    unit: f.unit,
    target: f.target ?? "",
    met: f.met === undefined ? "" : f.met ? "yes" : "NO",
  })),
);
for (const note of notes) console.log(`note: ${note}`);
mkdirSync(join(ROOT, "bench", "results"), { recursive: true });
const file = join(ROOT, "bench", "results", `${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
writeFileSync(file, `${JSON.stringify({ at: new Date().toISOString(), figures, notes }, null, 2)}\n`);
console.log(`written: ${file}`);
