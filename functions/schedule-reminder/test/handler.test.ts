import { beforeEach, describe, expect, it } from "vitest";
import { RetryingRecords, type DaprDelivery, type SidecarOutcome } from "@todo/shared";
import { daprDelivery, taskPayload } from "../../../tests/support/fixtures.ts";
import { noTracing } from "@todo/shared";
import { FakeReminderStore, FakeSidecar, fakeClock, requestContext, silentLog } from "../../../tests/support/fakes.ts";
import { DAY, HOUR, SECOND, after } from "../../../tests/support/clock.ts";
import { metricValue } from "../../../tests/support/metrics.ts";
import { createHandler } from "../src/handler.ts";

const APP_TOKEN = "app-token-0123456789abcdef";
const settings = {
  APP_API_TOKEN: APP_TOKEN,
  REMINDER_WAKE_AHEAD_MS: 10_000,
  REMINDER_JOB_RETRY_INTERVAL_MS: 2_000,
  REMINDER_JOB_MAX_RETRIES: 1_800,
};

let clock: ReturnType<typeof fakeClock>;
let store: FakeReminderStore;
let jobs: FakeSidecar;
let deadLetters: { sent: { delivery: DaprDelivery; reason: string }[]; answer: SidecarOutcome };
let retrying: RetryingRecords;
let handle: ReturnType<typeof createHandler>;
let offset = 0;

beforeEach(() => {
  clock = fakeClock();
  store = new FakeReminderStore(clock.now);
  jobs = new FakeSidecar();
  const sent: { delivery: DaprDelivery; reason: string }[] = [];
  deadLetters = {
    sent,
    answer: { ok: true },
  };
  const writer = {
    send: (delivery: DaprDelivery, reason: string) => {
      if (deadLetters.answer.ok) sent.push({ delivery, reason });
      return Promise.resolve(deadLetters.answer);
    },
  };
  retrying = new RetryingRecords(silentLog, clock.now);
  handle = createHandler({
    settings,
    store,
    jobs,
    deadLetters: writer,
    retrying,
    clock: clock.now,
    log: silentLog,
    tracing: noTracing,
  });
});

/** A task event as it travels on task-events (CloudEvent data). */
const event = (eventId: string, fields: Record<string, unknown>) => ({
  event_id: eventId,
  schema_version: 1,
  timestamp: clock.now().toISOString(),
  correlation_id: "conv-1",
  producer: "/todo/chat-api",
  user_id: "u1",
  ...fields,
});
const created = (eventId: string, taskId: string, remindAt: Date | null, extra: Record<string, unknown> = {}) =>
  event(eventId, {
    event_type: "TaskCreated",
    task: { ...taskPayload(taskId, { reminder_time: remindAt?.toISOString() ?? null }).task, ...extra },
  });
const updated = (eventId: string, taskId: string, changes: Record<string, unknown>) =>
  event(eventId, { event_type: "TaskUpdated", task_id: taskId, changes });

/** Delivers a record as daprd does: its bytes in Dapr's wrapper, with the app API token. */
function deliver(record: unknown, key = "t1", token = APP_TOKEN, extraHeaders: Record<string, string> = {}) {
  const bytes = Buffer.from(typeof record === "string" ? record : JSON.stringify({ specversion: "1.0", data: record }));
  const request = daprDelivery(bytes, { topic: "task-events", partition: 0, offset: offset++, key });
  const headers = { ...request.headers, "dapr-api-token": token, ...extraHeaders };
  return handle(requestContext({ headers, body: request.body }));
}
const verdict = async (record: unknown, key?: string) =>
  ((await deliver(record, key)).body as { status: string }).status;

describe("schedule-reminder", () => {
  it("arms a reminder: saves it PENDING and schedules its job on emit-reminder's sidecar, due the wake-ahead before", async () => {
    const remindAt = after(clock.now(), DAY);
    expect(await verdict(created("e1", "t1", remindAt))).toBe("SUCCESS");
    expect(store.rows.get("t1")).toMatchObject({ status: "PENDING", version: 1 });
    expect(jobs.jobs.get("reminder-t1")).toMatchObject({
      dueTime: after(remindAt, -10 * SECOND),
      data: { task_id: "t1", version: 1, armed_at: clock.now().toISOString() },
      retry: { intervalMs: 2_000, maxRetries: 1_800 },
    });
  });

  it("carries the record's trace context into the job (else the delivery's), for the ReminderDue to continue", async () => {
    const recordTrace = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const deliveryTrace = "00-11111111111111111111111111111111-2222222222222222-01";
    const record = JSON.stringify({
      specversion: "1.0",
      traceparent: recordTrace,
      data: created("e1", "t1", after(clock.now(), DAY)),
    });
    await deliver(record, "t1", APP_TOKEN, { traceparent: deliveryTrace });
    expect(jobs.jobs.get("reminder-t1")?.data).toMatchObject({ traceparent: recordTrace });
    await deliver(created("e2", "t2", after(clock.now(), DAY)), "t2", APP_TOKEN, { traceparent: deliveryTrace });
    expect(jobs.jobs.get("reminder-t2")?.data).toMatchObject({ traceparent: deliveryTrace });
  });

  it("moves and cancels the job as the task changes", async () => {
    await deliver(created("e1", "t1", after(clock.now(), DAY)));
    await deliver(updated("e2", "t1", { reminder_time: after(clock.now(), 2 * DAY).toISOString() }));
    expect(jobs.jobs.get("reminder-t1")?.data).toMatchObject({ version: 2 });
    await deliver(updated("e3", "t1", { completed: true }));
    expect(jobs.calls.at(-1)).toBe("delete reminder-t1");
    expect(store.rows.get("t1")?.status).toBe("CANCELLED");
  });

  it("changes nothing for a redelivered event (same event id)", async () => {
    await deliver(created("e1", "t1", after(clock.now(), DAY)));
    expect(await verdict(created("e1", "t1", after(clock.now(), 2 * DAY)))).toBe("SUCCESS");
    expect(jobs.calls).toEqual(["schedule reminder-t1"]);
  });

  it("refuses a call without its daprd's app token, counted", async () => {
    const before = await metricValue("todo_requests_refused_total", { reason: "authentication" });
    const answer = await deliver(created("e1", "t1", null), "t1", "not-the-token-0123456789");
    expect(answer.statusCode).toBe(401);
    expect(await metricValue("todo_requests_refused_total", { reason: "authentication" })).toBe(before + 1);
    expect(store.rows.size).toBe(0);
  });

  it("drops what is no pub/sub delivery", async () => {
    const answer = await handle(requestContext({ headers: { "dapr-api-token": APP_TOKEN }, body: { hello: 1 } }));
    expect(answer.body).toEqual({ status: "DROP" });
  });

  it("dead-letters an invalid record with its reason and origin, and moves on", async () => {
    expect(await verdict("not json at all")).toBe("SUCCESS");
    expect(await verdict(created("e2", "t1", null, { title: "" }))).toBe("SUCCESS");
    expect(deadLetters.sent.map((letter) => letter.reason)).toEqual([
      expect.stringMatching(/^invalid task event: record: the Kafka record is not a JSON object/),
      expect.stringMatching(/^invalid task event: data.task.title/),
    ]);
    expect(deadLetters.sent[0]?.delivery.origin).toMatch(/^task-events\/0@\d+$/);
    expect(store.rows.size).toBe(0);
  });

  it("applies an event of a newer producer (one more optional field) as far as it knows it", async () => {
    const newer = { ...created("e1", "t1", after(clock.now(), DAY), { location: "kitchen" }), channel: "voice" };
    expect(await verdict(newer)).toBe("SUCCESS");
    expect(store.rows.get("t1")).toMatchObject({ status: "PENDING", version: 1 });
    // An update that changes only fields this consumer does not know changes nothing it knows.
    expect(await verdict(updated("e2", "t1", { location: "garden" }))).toBe("SUCCESS");
    expect(store.rows.get("t1")).toMatchObject({ status: "PENDING", version: 1 });
    expect(deadLetters.sent).toEqual([]);
  });

  it("dead-letters an unknown major schema version, and the task's events behind it still apply in order", async () => {
    const remindAt = after(clock.now(), DAY);
    const answers = [
      await verdict(created("e1", "t1", remindAt)),
      await verdict({ ...updated("e2", "t1", { reminder_time: null }), schema_version: 2 }),
      await verdict({ ...updated("e3", "t1", { title: "v1.1" }), priority_reason: "newer producer" }),
      await verdict(updated("e4", "t1", { reminder_time: after(remindAt, HOUR).toISOString() })),
    ];
    expect(answers).toEqual(["SUCCESS", "SUCCESS", "SUCCESS", "SUCCESS"]);
    expect(deadLetters.sent.map((letter) => letter.reason)).toEqual([
      "unsupported schema version: data.schema_version: unsupported schema version 2 (this consumer reads 1)",
    ]);
    expect(store.rows.get("t1")).toMatchObject({ status: "PENDING", version: 2, remindAt: after(remindAt, HOUR) });
  });

  it("answers RETRY while the scheduler cannot take the job, keeps nothing, and says how long the record has waited", async () => {
    jobs.answer = () => ({ ok: false, retryable: true, reason: "dapr answered 503" });
    const record = created("e1", "t1", after(clock.now(), DAY));
    expect(await verdict(record)).toBe("RETRY");
    clock.advance(90 * SECOND);
    offset--; // Dapr redelivers the same record
    expect(await verdict(record)).toBe("RETRY");
    expect(retrying.oldestAgeSeconds()).toBe(90);
    expect(store.rows.size).toBe(0);

    jobs.answer = () => ({ ok: true });
    offset--;
    expect(await verdict(record)).toBe("SUCCESS");
    expect(retrying.oldestAgeSeconds()).toBe(0);
    expect(store.rows.get("t1")?.status).toBe("PENDING");
  });

  it("dead-letters a record the scheduler refuses for good (a 4xx), counted", async () => {
    const before = await metricValue("todo_dead_letters_total", { kind: "refused" });
    jobs.answer = () => ({ ok: false, retryable: false, reason: "dapr answered 400" });
    expect(await verdict(created("e1", "t1", after(clock.now(), DAY)))).toBe("SUCCESS");
    expect(deadLetters.sent[0]?.reason).toMatch(/job schedule: dapr answered 400/);
    expect(await metricValue("todo_dead_letters_total", { kind: "refused" })).toBe(before + 1);
  });

  it("answers RETRY when the dead-letter topic cannot take the record now, and DROP when it never will", async () => {
    deadLetters.answer = { ok: false, retryable: true, reason: "broker down" };
    expect(await verdict("not json")).toBe("RETRY");
    deadLetters.answer = { ok: false, retryable: false, reason: "topic not allowed" };
    expect(await verdict("not json")).toBe("DROP");
  });
});

/** A bulk delivery as daprd posts it (rawPayload): each record's bytes in base64, its origin in metadata. */
async function deliverBulk(records: readonly unknown[]) {
  const entries = records.map((record, i) => ({
    entryId: String(i),
    event: Buffer.from(
      typeof record === "string" ? record : JSON.stringify({ specversion: "1.0", data: record }),
    ).toString("base64"),
    metadata: { __topic: "task-events", __partition: "0", __offset: String(offset++), __key: "k" },
    contentType: "application/octet-stream",
  }));
  const answer = await handle(requestContext({ headers: { "dapr-api-token": APP_TOKEN }, body: { entries } }));
  return (answer.body as { statuses: { status: string }[] }).statuses.map((s) => s.status);
}
const deleted = (eventId: string, taskId: string) => event(eventId, { event_type: "TaskDeleted", task_id: taskId });

describe("schedule-reminder, bulk delivery", () => {
  it("applies every record of the batch and answers each SUCCESS", async () => {
    const at = after(clock.now(), DAY);
    const statuses = await deliverBulk([created("e1", "t1", at), created("e2", "t2", at), deleted("e3", "t1")]);
    expect(statuses).toEqual(["SUCCESS", "SUCCESS", "SUCCESS"]);
    expect(store.rows.get("t1")?.deleted).toBe(true);
    expect(store.rows.get("t2")?.status).toBe("PENDING");
    expect([...jobs.jobs.keys()]).toEqual(["reminder-t2"]);
  });

  it("dead-letters poison with its reason and origin and applies the records around it", async () => {
    const at = after(clock.now(), DAY);
    offset = 40;
    expect(await deliverBulk([created("e1", "t1", at), "not json", created("e2", "t2", at)])).toEqual([
      "SUCCESS",
      "SUCCESS",
      "SUCCESS",
    ]);
    expect(deadLetters.sent.map((d) => [d.delivery.origin, d.reason.split(":")[0]])).toEqual([
      ["task-events/0@41", "invalid task event"],
    ]);
    expect([...store.rows.keys()].sort()).toEqual(["t1", "t2"]);
  });

  it("keeps nothing and answers every valid record RETRY while the batch fails for now; the redelivery applies each once", async () => {
    const at = after(clock.now(), DAY);
    jobs.answer = (call) =>
      call === "schedule reminder-t2" ? { ok: false, retryable: true, reason: "503" } : { ok: true };
    expect(await deliverBulk([created("e1", "t1", at), created("e2", "t2", at), "poison"])).toEqual([
      "RETRY",
      "RETRY",
      "SUCCESS",
    ]);
    expect(store.rows.size).toBe(0);
    jobs.answer = () => ({ ok: true });
    expect(await deliverBulk([created("e1", "t1", at), created("e2", "t2", at)])).toEqual(["SUCCESS", "SUCCESS"]);
    expect(store.processed.size).toBe(2);
  });

  it("applies the records one by one when one is refused for good: that one dead-lettered, the rest applied in order", async () => {
    const at = after(clock.now(), DAY);
    jobs.answer = (call) =>
      call === "schedule reminder-t2" ? { ok: false, retryable: false, reason: "400 bad job" } : { ok: true };
    offset = 0;
    const statuses = await deliverBulk([created("e1", "t1", at), created("e2", "t2", at), deleted("e3", "t1")]);
    expect(statuses).toEqual(["SUCCESS", "SUCCESS", "SUCCESS"]);
    expect(deadLetters.sent.map((d) => d.delivery.origin)).toEqual(["task-events/0@1"]);
    expect(store.rows.get("t1")?.deleted).toBe(true);
    expect(store.rows.has("t2")).toBe(false);
  });

  it("after a record that must wait, answers RETRY for every later record: none overtakes an earlier one of its task", async () => {
    const at = after(clock.now(), DAY);
    jobs.answer = (call) => {
      if (call === "schedule reminder-t2") return { ok: false, retryable: false, reason: "400 bad job" };
      if (call === "schedule reminder-t3") return { ok: false, retryable: true, reason: "503" };
      return { ok: true };
    };
    const batch = [created("e1", "t1", at), created("e2", "t2", at), created("e3", "t3", at), deleted("e4", "t3")];
    expect(await deliverBulk(batch)).toEqual(["SUCCESS", "SUCCESS", "RETRY", "RETRY"]);
    expect(store.rows.has("t3")).toBe(false);
  });

  it("answers poison RETRY while the dead-letter topic cannot take it now, DROP when it never will", async () => {
    deadLetters.answer = { ok: false, retryable: true, reason: "broker down" };
    expect(await deliverBulk(["poison"])).toEqual(["RETRY"]);
    deadLetters.answer = { ok: false, retryable: false, reason: "forbidden" };
    expect(await deliverBulk(["poison"])).toEqual(["DROP"]);
  });
});
