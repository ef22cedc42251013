import { beforeEach, describe, expect, it } from "vitest";
import type { ReminderState } from "@todo/reminder-store";
import { noTracing } from "@todo/shared";
import { FakeReminderStore, FakeSidecar, fakeClock, requestContext, silentLog } from "../../../tests/support/fakes.ts";
import { DAY, MINUTE, SECOND, after } from "../../../tests/support/clock.ts";
import { metricValue } from "../../../tests/support/metrics.ts";
import { SWEEP_JOB, createHandler } from "../src/handler.ts";

const APP_TOKEN = "app-token-0123456789abcdef";
const settings = {
  APP_API_TOKEN: APP_TOKEN,
  PUBSUB_NAME: "kafka-pubsub",
  MAX_WAIT_AHEAD_MS: 30_000,
  ORPHAN_AFTER_MS: 60_000,
  SWEEP_GRACE_MS: 5_000,
  FIRE_CLAIM_LEASE_MS: 10_000,
  RETENTION_DAYS: 30,
};

let clock: ReturnType<typeof fakeClock>;
let store: FakeReminderStore;
let sidecar: FakeSidecar;
let handle: ReturnType<typeof createHandler>;

beforeEach(() => {
  clock = fakeClock();
  store = new FakeReminderStore(clock.now);
  sidecar = new FakeSidecar();
  handle = createHandler({
    settings,
    store,
    publisher: sidecar,
    clock: clock.now,
    sleep: clock.sleep,
    log: silentLog,
    tracing: noTracing,
  });
});

/** A stored reminder of task `taskId`, PENDING at `remindAt`, version `version`. */
function stored(taskId: string, remindAt: Date, version = 1, status: ReminderState["status"] = "PENDING") {
  store.rows.set(taskId, {
    taskId,
    userId: "u1",
    dueDate: null,
    remindAt,
    completed: false,
    deleted: false,
    status,
    version,
    lastEventAt: after(remindAt, -DAY),
    lastEventId: "e1",
    correlationId: "conv-1",
  });
}

/** A job trigger as the scheduler sends it, after the job route turned /job/<name> into ?job=<name>. */
const trigger = (taskId: string, version: number, extra: Record<string, unknown> = {}, token = APP_TOKEN) =>
  handle(
    requestContext({
      headers: { "dapr-api-token": token },
      query: { job: `reminder-${taskId}` },
      body: { task_id: taskId, version, ...extra },
    }),
  );
const sweep = () =>
  handle(requestContext({ headers: { "dapr-api-token": APP_TOKEN }, query: { job: SWEEP_JOB }, body: {} }));
const eventIds = () => sidecar.published.map((p) => (p.cloudEvent["data"] as { event_id: string }).event_id);

describe("emit-reminder", () => {
  it("fires a reminder whose time has come: ReminderDue on reminders, keyed by task, then SENT", async () => {
    stored("t1", clock.now());
    expect(await trigger("t1", 1)).toMatchObject({
      statusCode: 200,
      body: { fired: true, event_id: "reminder-t1-v1" },
    });
    expect(sidecar.published).toMatchObject([{ topic: "reminders", partitionKey: "t1" }]);
    expect(store.rows.get("t1")?.status).toBe("SENT");
  });

  it("continues the trace of the event that armed the reminder", async () => {
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    stored("t1", clock.now());
    await trigger("t1", 1, { traceparent });
    expect(sidecar.published[0]?.traceparent).toBe(traceparent);
  });

  it("holds a trigger that came ahead of the reminder time until the time, then fires: never early", async () => {
    const remindAt = after(clock.now(), 10 * SECOND);
    stored("t1", remindAt);
    await trigger("t1", 1);
    expect(sidecar.published).toHaveLength(1);
    expect(clock.now().getTime()).toBe(remindAt.getTime());
  });

  it("asks a trigger further ahead than it may hold to come back later, and fires nothing", async () => {
    stored("t1", after(clock.now(), 5 * MINUTE));
    expect(await trigger("t1", 1)).toMatchObject({ statusCode: 503, headers: { "retry-after": "300" } });
    expect(sidecar.published).toEqual([]);
  });

  it("fires nothing for a version the reminder moved past, or one already SENT or cancelled", async () => {
    stored("t1", clock.now(), 2);
    expect(await trigger("t1", 1)).toMatchObject({ statusCode: 200, body: { fired: false } });
    stored("t2", clock.now(), 1, "SENT");
    stored("t3", clock.now(), 1, "CANCELLED");
    await trigger("t2", 1);
    await trigger("t3", 1);
    expect(sidecar.published).toEqual([]);
  });

  it("checks again, briefly, when the trigger beat the commit of its reminder, then asks for a retry", async () => {
    expect(await trigger("t1", 1, { armed_at: clock.now().toISOString() })).toMatchObject({
      statusCode: 503,
      headers: { "retry-after": "2" },
    });
    stored("t1", after(clock.now(), -SECOND));
    expect(await trigger("t1", 1)).toMatchObject({ body: { fired: true } });
  });

  it("gives up a trigger still ahead of the database a minute after it first fired (its transaction never committed)", async () => {
    const armedAt = after(clock.now(), -2 * MINUTE);
    expect(await trigger("t1", 1, { armed_at: armedAt.toISOString() })).toMatchObject({
      statusCode: 200,
      body: { fired: false },
    });
  });

  it("publishes one ReminderDue when two triggers of one version meet; the other is asked to retry, then finds it SENT", async () => {
    stored("t1", after(clock.now(), -MINUTE));
    const answers = await Promise.all([trigger("t1", 1), trigger("t1", 1), sweep()]);
    expect(eventIds()).toEqual(["reminder-t1-v1"]);
    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([200, 200, 503]);
    expect(await trigger("t1", 1)).toMatchObject({ statusCode: 200, body: { fired: false } });
    expect(eventIds()).toEqual(["reminder-t1-v1"]);
  });

  it("fires a version whose claim ran out: a crash after the claim still fires it, once, later", async () => {
    stored("t1", clock.now());
    expect(await store.claim("t1", 1, settings.FIRE_CLAIM_LEASE_MS)).toBe(true); // a holder that then crashed
    const before = await metricValue("todo_triggers_total", { verdict: "taken" });
    expect(await trigger("t1", 1)).toMatchObject({ statusCode: 503 });
    expect(await metricValue("todo_triggers_total", { verdict: "taken" })).toBe(before + 1);
    clock.advance(settings.FIRE_CLAIM_LEASE_MS + 1);
    expect(await trigger("t1", 1)).toMatchObject({ body: { fired: true } });
    expect(eventIds()).toEqual(["reminder-t1-v1"]);
  });

  it("answers 503 while the broker cannot take the ReminderDue, and leaves the reminder PENDING", async () => {
    stored("t1", clock.now());
    sidecar.answer = () => ({ ok: false, retryable: true, reason: "dapr answered 500" });
    expect(await trigger("t1", 1)).toMatchObject({ statusCode: 503 });
    expect(store.rows.get("t1")?.status).toBe("PENDING");
  });

  it("stops a trigger that can never fire (Dapr refuses the publish for good) instead of retrying it", async () => {
    stored("t1", clock.now());
    sidecar.answer = () => ({ ok: false, retryable: false, reason: "dapr answered 403" });
    expect(await trigger("t1", 1)).toMatchObject({ statusCode: 200, body: { fired: false } });
  });

  it("sweeps: fires the PENDING reminders overdue by more than the grace, and prunes what is older than the retention", async () => {
    stored("late", after(clock.now(), -MINUTE));
    stored("just-due", after(clock.now(), -SECOND));
    stored("future", after(clock.now(), MINUTE));
    expect(await sweep()).toMatchObject({ statusCode: 200, body: { swept: 1 } });
    expect(eventIds()).toEqual(["reminder-late-v1"]);
    expect(store.pruned).toEqual([after(clock.now(), -30 * DAY)]);
  });

  it("answers 503 from a sweep that could not publish everything", async () => {
    stored("late", after(clock.now(), -MINUTE));
    sidecar.answer = () => ({ ok: false, retryable: true, reason: "down" });
    expect(await sweep()).toMatchObject({ statusCode: 503 });
  });

  it("refuses a call without its daprd's app token, and a request that is no trigger, both counted", async () => {
    const before = await metricValue("todo_requests_refused_total", { reason: "not-a-trigger" });
    expect(await trigger("t1", 1, {}, "wrong-token-0123456789ab")).toMatchObject({ statusCode: 401 });
    expect(await handle(requestContext({ headers: { "dapr-api-token": APP_TOKEN }, body: {} }))).toMatchObject({
      statusCode: 400,
    });
    expect(await metricValue("todo_requests_refused_total", { reason: "not-a-trigger" })).toBe(before + 1);
  });

  it("stops a job whose payload it can never read (a 4xx would have it retried for an hour), counted", async () => {
    const before = await metricValue("todo_requests_refused_total", { reason: "unreadable-trigger" });
    expect(await trigger("t1", 0)).toMatchObject({ statusCode: 200, body: { fired: false } });
    expect(await trigger("t1", 1, { remind_at: "not a time" })).toMatchObject({
      statusCode: 200,
      body: { fired: false },
    });
    expect(await metricValue("todo_requests_refused_total", { reason: "unreadable-trigger" })).toBe(before + 2);
    expect(sidecar.published).toEqual([]);
  });

  it("reads a trigger armed by a newer release that added a field", async () => {
    stored("t1", clock.now());
    expect(await trigger("t1", 1, { traceparent: "00-abc", priority: "high" })).toMatchObject({
      body: { fired: true },
    });
  });
});
