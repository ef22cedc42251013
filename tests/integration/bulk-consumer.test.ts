import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toStructuredCloudEvent, type TaskCreated, type TaskUpdated } from "@todo/shared";
import { consumedToEnd, type RecordToSend } from "../../scripts/kafka-topics.ts";
import { RUN_ID, taskPayload } from "../support/fixtures.ts";
import { functionMetric, produceRaw, readTopicToEnd, sleep, stack, stackCtl } from "../support/stack.ts";

/**
 * schedule-reminder takes task-events in Dapr's bulk deliveries (dapr/subscriptions/task-events.yaml):
 * up to 100 records of one partition at a time, applied in one transaction, each answered on its own.
 * Here through the real daprd and Kafka: records written straight to the topic in bursts, so that
 * they arrive in batches, with poison, duplicates, a batch that cannot be applied yet, and crashes.
 * Order is read from each task's row: every update moves the reminder (a new version), so the row
 * names the last event applied, and an update applied out of order would leave another one there.
 */
const db = new pg.Client({ connectionString: stack().databaseUrl });
beforeAll(() => db.connect());
afterAll(() => db.end());

/**
 * How many bulk deliveries the daprd made to the function (its bulk_count; its bulk_event_count is a
 * count of observations, not of records, in Dapr 1.18).
 */
async function bulkDeliveries(): Promise<number> {
  const text = await (await fetch(`${stack().functions["schedule-reminder"].daprMetrics}/metrics`)).text();
  return text
    .split("\n")
    .filter(
      (line) => line.startsWith("dapr_component_pubsub_ingress_bulk_count{") && line.includes('topic="task-events"'),
    )
    .reduce((total, line) => total + Number(line.slice(line.lastIndexOf(" ") + 1)), 0);
}

/** How many records the function has answered, with this answer or any. */
const answered = (outcome?: string) =>
  functionMetric("schedule-reminder", "todo_deliveries_total", outcome ? { outcome } : {});

/** Waits until the function has answered RETRY `count` more times than `before`. */
async function untilRetried(before: number, count: number): Promise<void> {
  for (let attempt = 0; attempt < 80; attempt++) {
    if ((await answered("RETRY")) - before >= count) return;
    await sleep(250);
  }
  throw new Error(`schedule-reminder did not answer RETRY ${count} times within 20 s`);
}

/**
 * Runs `during` while schedule-reminder's table is missing (a deploy whose migration has not run
 * yet): every batch fails for now (SQLSTATE class 42), is answered RETRY and its partition waits.
 */
async function withRemindersHidden(during: () => Promise<void>): Promise<void> {
  await db.query("ALTER TABLE reminders RENAME TO reminders_hidden_by_test");
  try {
    await during();
  } finally {
    await db.query("ALTER TABLE reminders_hidden_by_test RENAME TO reminders");
  }
}

/** Waits until schedule-reminder has processed every record now on task-events (a restart included). */
async function caughtUp(withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await consumedToEnd(stack().kafka, "schedule-reminder", "task-events", 10_000))) {
    if (Date.now() > deadline) throw new Error(`schedule-reminder did not catch up within ${withinMs} ms`);
  }
}

/** Far enough ahead that no reminder fires during the run; each update moves it by a minute. */
const remindAt = (step: number) => new Date(Date.now() + 6 * 3_600_000 + step * 60_000).toISOString();
let sequence = 0;

/** A task with `updates` updates after its creation, each moving its reminder: its records in order. */
function taskHistory(name: string, updates: number) {
  const taskId = `${RUN_ID}-bulk-${name}-${++sequence}`;
  const envelope = (step: number) => ({
    event_id: `${taskId}-${step}`,
    schema_version: 1 as const,
    timestamp: new Date().toISOString(),
    correlation_id: `${RUN_ID}-bulk`,
    producer: "/tests",
  });
  const created: TaskCreated = {
    ...envelope(0),
    event_type: "TaskCreated",
    ...taskPayload(taskId, { reminder_time: remindAt(0) }),
  };
  const changes = Array.from({ length: updates }, (_, i): TaskUpdated => ({
    ...envelope(i + 1),
    event_type: "TaskUpdated",
    user_id: created.user_id,
    task_id: taskId,
    changes: { reminder_time: remindAt(i + 1) },
  }));
  const records = [created, ...changes].map((event) => ({
    key: taskId,
    value: JSON.stringify(toStructuredCloudEvent(event)),
  }));
  return { taskId, records, last: changes.at(-1) ?? created, versions: updates + 1 };
}
type History = ReturnType<typeof taskHistory>;

/** The histories' records interleaved (first events of all, then the second ones...), on one partition. */
const interleaved = (histories: readonly History[], partition: number): RecordToSend[] =>
  Array.from({ length: Math.max(...histories.map((h) => h.records.length)) }, (_, step) =>
    histories.flatMap((h) => h.records.slice(step, step + 1)),
  )
    .flat()
    .map((record) => ({ ...record, partition }));

/** Each task's row names its last event, at its last reminder time, after one version per event. */
async function expectAppliedInOrder(histories: readonly History[]): Promise<void> {
  const rows = await db.query<{ task_id: string; last_event_id: string; version: number; status: string }>(
    "SELECT task_id, last_event_id, version, status FROM reminders WHERE task_id = ANY($1)",
    [histories.map((h) => h.taskId)],
  );
  const byTask = new Map(rows.rows.map((row) => [row.task_id, row]));
  for (const history of histories) {
    expect(byTask.get(history.taskId), history.taskId).toEqual({
      task_id: history.taskId,
      last_event_id: history.last.event_id,
      version: history.versions,
      status: "PENDING",
    });
  }
  const eventIds = histories.flatMap((h) => h.records.map((_, step) => `${h.taskId}-${step}`));
  const applied = await db.query("SELECT event_id FROM processed_events WHERE event_id = ANY($1)", [eventIds]);
  expect(applied.rowCount).toBe(eventIds.length);
}

describe("schedule-reminder's bulk deliveries through the real daprd", () => {
  // Records left on task-events by earlier files would be counted as this file's batches.
  beforeAll(() => caughtUp(60_000));

  it("applies a burst of one partition in batches, in order; poison in a batch is dead-lettered in place; duplicates change nothing", async () => {
    const histories = Array.from({ length: 20 }, (_, i) => taskHistory(`burst-${i}`, 4));
    const records = interleaved(histories, 0);
    const poisonKey = `${RUN_ID}-bulk-poison`;
    const poisons = ["not JSON", JSON.stringify({ specversion: "1.0", id: "x", data: {} })];
    // Poison in the middle of the batch, and a copy of each task's second event (a producer's
    // retry) after its last one: applied already, it must not move the reminder back.
    records.splice(30, 0, ...poisons.map((value) => ({ key: poisonKey, value, partition: 0 })));
    records.push(...histories.map((h) => ({ ...h.records[1]!, partition: 0 })));
    const [batchesBefore, answeredBefore] = [await bulkDeliveries(), await answered()];

    await produceRaw("task-events", records);
    await caughtUp(60_000);

    await expectAppliedInOrder(histories);
    const dead = await readTopicToEnd("task-events-dlq", (r) => r.key === poisonKey);
    expect(dead).toHaveLength(poisons.length);
    for (const letter of dead) {
      expect(letter.headers["dlq-origin"]).toMatch(/^task-events\/0@\d+$/);
      expect((letter.headers["dlq-reason"] ?? "").length, "a dead letter says why").toBeGreaterThan(10);
    }
    expect((await answered()) - answeredBefore).toBeGreaterThanOrEqual(records.length);
    // Batched indeed: far fewer deliveries than records.
    expect((await bulkDeliveries()) - batchesBefore).toBeLessThan(records.length / 4);
  });

  it("keeps a partition flowing behind a run of records close to Kafka's 1 MB limit, delivered in batches", async () => {
    const key = `${RUN_ID}-bulk-large`;
    // The largest records the broker takes (one a request), queued behind a held record so that
    // they come in full batches: base64 in Dapr's wrapper makes each 1.2 MB on the way in.
    const large = Array.from({ length: 10 }, (_, i) => ({
      key,
      partition: 2,
      value: JSON.stringify({ padding: String(i).repeat(900_000) }),
    }));
    const [held, behind] = [taskHistory("before-large", 0), taskHistory("after-large", 1)];
    const onPartition2 = (history: History) => history.records.map((record) => ({ ...record, partition: 2 }));
    const retriedBefore = await answered("RETRY");
    await withRemindersHidden(async () => {
      await produceRaw("task-events", onPartition2(held));
      await untilRetried(retriedBefore, 1);
      for (const record of large) await produceRaw("task-events", [record]);
      await produceRaw("task-events", onPartition2(behind));
    });
    await caughtUp(60_000);
    await expectAppliedInOrder([held, behind]);
    expect(await readTopicToEnd("task-events-dlq", (r) => r.key === key)).toHaveLength(large.length);
  });

  it("holds a batch that cannot be applied yet, with the records behind it, and applies them all in order once it can", async () => {
    const histories = Array.from({ length: 10 }, (_, i) => taskHistory(`held-${i}`, 5));
    // Each task's first three events, then (behind them on the same partition) its other three.
    const part = (from: number, to?: number) =>
      interleaved(
        histories.map((h) => ({ ...h, records: h.records.slice(from, to) })),
        1,
      );
    const [first, second] = [part(0, 3), part(3)];
    const retriedBefore = await answered("RETRY");
    await withRemindersHidden(async () => {
      await produceRaw("task-events", first);
      // The whole batch is answered RETRY (nothing of it was kept), and again until it can be applied.
      await untilRetried(retriedBefore, first.length);
      await produceRaw("task-events", second);
      await sleep(1_000);
    });
    await caughtUp(60_000);
    await expectAppliedInOrder(histories);
  });

  for (const target of ["schedule-reminder", "schedule-reminder-dapr"]) {
    it(`loses and reorders nothing when ${target} is killed (-9) in the middle of a burst`, async () => {
      const histories = Array.from({ length: 60 }, (_, i) => taskHistory(`kill-${target}-${i}`, 9));
      const records = [0, 1, 2].flatMap((partition) =>
        interleaved(
          histories.filter((_, i) => i % 3 === partition),
          partition,
        ),
      );
      const eventIds = histories.map((h) => `${h.taskId}-0`);
      await produceRaw("task-events", records);
      // Kill it once the burst is being applied (some creations recorded), restart it at once.
      for (let attempt = 0; attempt < 100; attempt++) {
        const seen = await db.query("SELECT 1 FROM processed_events WHERE event_id = ANY($1)", [eventIds]);
        if ((seen.rowCount ?? 0) > 0) break;
        await sleep(50);
      }
      await stackCtl("kill", target);
      await stackCtl("start", target);
      await caughtUp(120_000);
      await expectAppliedInOrder(histories);
    }, 180_000);
  }
});
