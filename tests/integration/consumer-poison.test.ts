import fc from "fast-check";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toStructuredCloudEvent, type TaskCreated } from "@todo/shared";
import { RUN_ID, daprDelivery, taskPayload } from "../support/fixtures.ts";
import { createTask, inMs, newTask, remindersAfter } from "../support/reminders.ts";
import { consumerCaughtUp, produceRaw, readTopicToEnd, stack, tokenOf, type TopicRecord } from "../support/stack.ts";

/**
 * A record the consumer can never process must not hold up the records behind it: it goes to the
 * dead-letter topic at once, with the reason, and the partition keeps flowing.
 */
const db = new pg.Client({ connectionString: stack().databaseUrl });
beforeAll(() => db.connect());
afterAll(() => db.end());

/** Whether the event was applied; an id PostgreSQL cannot even hold (a NUL) was not. */
const applied = async (eventId: string) =>
  (
    await db.query("SELECT 1 FROM processed_events WHERE event_id = $1", [eventId]).catch((error: unknown) => {
      if ((error as { code?: string }).code === "22021") return { rowCount: 0 };
      throw error;
    })
  ).rowCount === 1;
const rowOf = async (taskId: string) =>
  (await db.query<{ status: string }>("SELECT status FROM reminders WHERE task_id = $1", [taskId])).rows[0];

let sequence = 0;
/** A valid TaskCreated as it travels on task-events, with ids of this run. */
function taskCreated(name: string, reminderTime: string | null = null): TaskCreated {
  const n = ++sequence;
  const taskId = `${RUN_ID}-${name}-${n}`;
  return {
    event_id: `${taskId}-created`,
    event_type: "TaskCreated",
    schema_version: 1,
    timestamp: new Date().toISOString(),
    correlation_id: `${RUN_ID}-poison`,
    producer: "/tests",
    ...taskPayload(taskId, { reminder_time: reminderTime }),
  };
}
const recordOf = (event: TaskCreated) => JSON.stringify(toStructuredCloudEvent(event));

/** What the consumer path may meet: anything at all, and events broken in one place each. */
const anyText = fc.string({ unit: "binary", maxLength: 30 });
const anyDate = fc
  .date({ noInvalidDate: true, min: new Date(-8_000_000_000_000_000), max: new Date(8_000_000_000_000_000) })
  .map((date) => date.toISOString());
const brokenEvent = fc
  .record({
    field: fc.constantFrom(
      "user_id",
      "task.title",
      "task.description",
      "task.tags",
      "task.due_date",
      "task.reminder_time",
      "event_id",
      "correlation_id",
      "producer",
      "timestamp",
    ),
    value: fc.oneof(
      anyText,
      anyDate,
      // The edges of the years every consumer reads alike: outside or inside them on any day.
      /* eslint-disable no-restricted-syntax */
      fc.constantFrom(
        "\u0000",
        "a\u0000b",
        "\ud800",
        "0000-01-01T00:00:00Z",
        "9999-12-31T23:59:59.999Z",
        "1000-01-01T00:00:00+14:00",
      ),
      /* eslint-enable no-restricted-syntax */
      fc.integer(),
      fc.constant(null),
      fc.string({ minLength: 4000, maxLength: 6000 }),
    ),
  })
  .map(({ field, value }) => {
    const event = taskCreated("prop") as unknown as Record<string, unknown>;
    const task = event["task"] as Record<string, unknown>;
    if (field === "task.tags") task["tags"] = [value];
    else if (field.startsWith("task.")) task[field.slice(5)] = value;
    else event[field] = value;
    return { eventId: String(event["event_id"]), bytes: Buffer.from(recordOf(event as unknown as TaskCreated)) };
  });
const anyRecord = fc.oneof(
  brokenEvent,
  brokenEvent,
  fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ eventId: undefined, bytes: Buffer.from(bytes) })),
  fc.json().map((json) => ({ eventId: undefined, bytes: Buffer.from(json) })),
  fc.constant(null).map(() => {
    const event = taskCreated("prop-valid", inMs(3_600_000));
    return { eventId: event.event_id, bytes: Buffer.from(recordOf(event)) };
  }),
);

/** A delivery exactly as daprd makes it for a rawPayload subscription. */
async function deliver(bytes: Buffer, offset: number): Promise<{ status: number; verdict: unknown }> {
  const delivery = daprDelivery(bytes, { topic: "task-events-property", partition: 0, offset, key: `${RUN_ID}-prop` });
  const response = await fetch(stack().functions["schedule-reminder"].url, {
    method: "POST",
    headers: { ...delivery.headers, "dapr-api-token": tokenOf("schedule-reminder", "app") },
    body: delivery.body,
  });
  const body = (await response.json().catch(() => ({}))) as { status?: unknown };
  return { status: response.status, verdict: body.status };
}

describe("the consumer path (parse, decide, PostgreSQL write, job) under generated records", () => {
  it("answers every record SUCCESS or DROP, never RETRY; each is applied or dead-lettered with its reason", async () => {
    const outcomes: { offset: number; eventId: string | undefined; verdict: unknown }[] = [];
    let offset = Date.now() * 1000;
    await fc.assert(
      fc.asyncProperty(anyRecord, async ({ eventId, bytes }) => {
        const at = ++offset;
        const answer = await deliver(bytes, at);
        outcomes.push({ offset: at, eventId, verdict: answer.verdict });
        expect(answer.status).toBe(200);
        expect(["SUCCESS", "DROP"]).toContain(answer.verdict);
      }),
      { numRuns: 250 },
    );
    const dead = new Map<string, TopicRecord>();
    for (const record of await readTopicToEnd("task-events-dlq", (r) =>
      (r.headers["dlq-origin"] ?? "").startsWith("task-events-property/"),
    )) {
      dead.set(record.headers["dlq-origin"]!, record);
    }
    let appliedCount = 0;
    let deadCount = 0;
    for (const outcome of outcomes) {
      const letter = dead.get(`task-events-property/0@${outcome.offset}`);
      if (letter) {
        deadCount++;
        expect(letter.headers["dlq-reason"]?.length, "a dead letter says why").toBeGreaterThan(10);
        expect(outcome.eventId === undefined || !(await applied(outcome.eventId))).toBe(true);
      } else {
        expect(outcome.eventId, `record at ${outcome.offset} was neither applied nor dead-lettered`).toBeDefined();
        expect(await applied(outcome.eventId!)).toBe(true);
        appliedCount++;
      }
    }
    console.log(`consumer path: ${outcomes.length} records, ${appliedCount} applied, ${deadCount} dead-lettered`);
  });
});

describe("poison records on task-events never hold up their partition", () => {
  it("a NUL in user_id, written straight to the topic, goes to the dead-letter topic, and the nine reminders after it all fire", async () => {
    const poison = taskCreated("nul");
    poison.user_id = "u\u0000x";
    // One poison record on each partition: whatever partition a reminder lands on, it sits behind one.
    const keys = [0, 1, 2].map((partition) => `${poison.task.id}-${partition}`);
    await produceRaw(
      "task-events",
      keys.map((key, partition) => ({
        key,
        partition,
        value: recordOf({ ...poison, task: { ...poison.task, id: key } }),
      })),
    );
    const tasks = Array.from({ length: 9 }, (_, i) => newTask(`after-nul-${i}`));
    const remindAt = inMs(4000);
    for (const task of tasks) await createTask(task.taskId, task.eventId("created"), remindAt);
    for (const task of tasks) expect(await remindersAfter(task.taskId, Date.parse(remindAt) + 3000)).toHaveLength(1);
    const dead = await readTopicToEnd("task-events-dlq", (r) => keys.includes(r.key ?? ""));
    expect(dead).toHaveLength(keys.length);
    for (const letter of dead) expect(letter.headers["dlq-reason"]).toContain("data.user_id");
  });

  it("keeps a partition flowing behind records of every hostile kind, and applies valid events whatever their headers or key", async () => {
    const key = `${RUN_ID}-flow`;
    const nul = taskCreated("flow-nul");
    nul.task.title = "milk\u0000";
    const oldVersion = { ...taskCreated("flow-v7"), schema_version: 7 };
    const poisons = [
      "not JSON at all",
      Buffer.from([0xff, 0xfe, 0x00, 0x01]),
      recordOf(nul),
      JSON.stringify(toStructuredCloudEvent(oldVersion as unknown as TaskCreated)),
      JSON.stringify({ specversion: "1.0", id: "x", data: { event_type: "TaskCreated", task: { id: "x" } } }),
      // Close to Kafka's 1 MB record limit: base64 in Dapr's wrapper makes it 1.3 MB on the way in.
      JSON.stringify({ padding: "x".repeat(900_000) }),
    ];
    const valid = taskCreated("flow-valid");
    // Valid events whose record headers or key HTTP cannot carry as they are: still applied.
    const hostileHeaders = taskCreated("flow-headers");
    const hostileKey = taskCreated("flow-key");
    await produceRaw("task-events", [
      ...poisons.map((value) => ({ key, value })),
      {
        key,
        value: recordOf(hostileHeaders),
        headers: { "dapr-api-token": "forged", "bad name\r\n": "x", "content-type": "text/evil", ok: "\u0000\n" },
      },
      { key, value: recordOf(valid) },
      { key: "a\r\nb\u0000c ü", value: recordOf(hostileKey) },
    ]);
    await consumerCaughtUp();
    for (const event of [valid, hostileHeaders, hostileKey]) {
      expect(await applied(event.event_id), `${event.event_id} applied`).toBe(true);
      expect(await rowOf(event.task.id)).toEqual({ status: "NONE" });
    }
    const dead = await readTopicToEnd("task-events-dlq", (r) => r.key === key);
    expect(dead).toHaveLength(poisons.length);
    expect(dead.every((letter) => (letter.headers["dlq-reason"] ?? "").length > 10)).toBe(true);
    for (const event of [nul, oldVersion]) expect(await applied(event.event_id)).toBe(false);
  });
});
