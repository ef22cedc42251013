import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLOUDEVENT_TYPE, toStructuredCloudEvent } from "@todo/shared";
import { RUN_ID, binaryEvent, structuredEvent, taskPayload } from "../support/fixtures.ts";
import { countCopies, sendUntilAccepted } from "../support/reminders.ts";
import { produce } from "../../scripts/kafka-topics.ts";
import { measureFootprint } from "./footprint.ts";
import {
  FUNCTIONS,
  PodTimeline,
  allAtZero,
  cluster,
  crashPod,
  percentile,
  podsOf,
  publish,
  readTopicToEnd,
  secretOf,
  sleep,
  throughIngress,
  waitForTopic,
  type ServiceName,
} from "./support.ts";

/**
 * The backbone on the live local cluster (npm run cluster:up): Knative Services at zero, Dapr
 * Shared daprds delivering into them through Knative's activator, the functions deployed by
 * `func deploy`. Prints what it measured and writes it to bench/results/cluster-<time>.json.
 */
const report: Record<string, unknown> = { at: new Date().toISOString(), run: RUN_ID };
const SERVICES: ServiceName[] = ["cold-start-floor", "emit-reminder", "schedule-reminder", "publish-task-event"];
/** Knative scales a revision to zero after its stable window (60 s) and grace period (30 s). */
const ZERO_WITHIN_MS = 240_000;
const ROOT = join(import.meta.dirname, "..", "..");

let sequence = 0;
const nextId = (name: string) => `${RUN_ID}-${name}-${++sequence}`;
const now = () => performance.now();
const stats = (values: number[]) => ({
  n: values.length,
  p50: Math.round(percentile(values, 50)),
  p99: Math.round(percentile(values, 99)),
  max: Math.round(Math.max(...values)),
});

beforeAll(async () => {
  // Tokens, read once from the cluster's Secrets (never printed).
  for (const fn of FUNCTIONS) await secretOf(`${fn}-tokens`, "app-api-token");
  await secretOf("publish-task-event-clients", "tokens");
});

afterAll(() => {
  console.log(`\ncluster test report (${cluster().ingress}):\n${JSON.stringify(report, null, 2)}`);
  mkdirSync(join(ROOT, "bench", "results"), { recursive: true });
  writeFileSync(
    join(ROOT, "bench", "results", `cluster-${new Date().toISOString().replace(/[:.]/g, "-")}.json`),
    `${JSON.stringify(report, null, 2)}\n`,
  );
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
    const remindAt = new Date(Date.now() + 170_000);
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

  it("takes the benchmark's load within the manifests' own requests and limits: no OOMKill, no restart, no error", async () => {
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
          const answer = await publish(created(taskId, null)).catch(() => ({
            status: 0,
          }));
          latencies.push(now() - started);
          if (answer.status === 202) accepted++;
          else errors.push(answer.status);
        }
      }),
    );
    const footprint = await measureFootprint(seconds, load);
    const after = await restarts();
    report["load"] = {
      concurrency,
      seconds,
      accepted,
      perSecond: Math.round(accepted / seconds),
      errors: errors.length,
      latencyMs: stats(latencies),
      restarts: after.restarts - before.restarts,
      oomKilled: after.oomKilled,
    };
    report["footprintUnderLoad"] = footprint;
    expect(errors).toEqual([]);
    expect(after.oomKilled).toEqual([]);
    expect(after.restarts - before.restarts).toBe(0);
  });

  it("wakes no function without a user event while idle, and measures the idle footprint", async () => {
    await allAtZero(FUNCTIONS, ZERO_WITHIN_MS);
    const timeline = new PodTimeline(FUNCTIONS);
    const footprint = await measureFootprint(Number(process.env["IDLE_SECONDS"] ?? 180));
    await timeline.stop();
    const wakes = Object.fromEntries(
      FUNCTIONS.map((fn) => [
        fn,
        timeline
          .render()
          .split("\n")
          .filter((l) => l.includes(fn) && l.endsWith("-> 1 pods")).length,
      ]),
    );
    report["idle"] = {
      seconds: footprint.seconds,
      wakes,
      sweepSchedule: "@every 1h (24 wakes a day of emit-reminder)",
    };
    report["footprintIdle"] = footprint;
    report["budget"] = { cpus: 2, memoryMb: 4096 };
    expect(Object.values(wakes)).toEqual([0, 0, 0]);
  });
});

/** Restarts and OOM kills of the backbone's own containers (functions, daprds, broker, database). */
async function restarts(): Promise<{ restarts: number; oomKilled: string[] }> {
  const pods = [
    ...(await podsOf(cluster().namespace, "app.kubernetes.io/part-of=todo-event-backbone")),
    ...(await podsOf(cluster().namespace, "app.kubernetes.io/name=postgres")),
    ...(await podsOf("kafka", "app.kubernetes.io/name=kafka")),
  ];
  let count = 0;
  const oomKilled: string[] = [];
  for (const pod of pods) {
    for (const container of pod.status.containerStatuses ?? []) {
      count += container.restartCount;
      if (
        container.lastState?.terminated?.reason === "OOMKilled" ||
        container.state?.terminated?.reason === "OOMKilled"
      ) {
        oomKilled.push(`${pod.metadata.name}/${container.name}`);
      }
    }
  }
  return { restarts: count, oomKilled };
}

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
      const ok = await sendUntilAccepted(() => publish(create), deadline, 500);
      if (ok) accepted.push(create.headers["ce-id"]!);
      if (!ok || !task.cancel) return { ...task, created: ok, cancelledInTime: false };
      const remove = deleted(task.taskId);
      const removed = await sendUntilAccepted(() => publish(remove), deadline, 500);
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
    };
    rows.push(row);
    expect(pod, `a pod matching ${selector} in ${namespace}`).toBeDefined();
    expect(killedProcesses).toBeGreaterThan(0);
    expect(row.lost).toBe(0);
    expect(row.firedOnce).toBe(row.remindersDue);
    expect(row.firedTwice).toBe(0);
    expect(row.cancelledFired).toBe(0);
  });
});
