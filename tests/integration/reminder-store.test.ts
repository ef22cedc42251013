import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReminderStore, type ReminderState } from "@todo/reminder-store";
import { RUN_ID } from "../support/fixtures.ts";
import { sleep, stack } from "../support/stack.ts";

/**
 * The store's one transaction on the stack's PostgreSQL, many at once (its pool holds five
 * connections): an event id is applied once, the events of one task are applied one after the
 * other, each deciding on what the one before saved, and a failure keeps nothing.
 */
describe("ReminderStore.applyOnce on PostgreSQL, concurrently", () => {
  const store = new ReminderStore(stack().databaseUrl);
  afterAll(() => store.disconnect());

  const taskOf = (name: string) => `${RUN_ID}-store-${name}`;
  /** The next version of the task's row: what a decision that reads the current one saves. */
  const bump = (taskId: string, eventId: string) => (current: ReminderState | null) => ({
    next: {
      taskId,
      userId: "store-test",
      dueDate: null,
      remindAt: null,
      completed: false,
      deleted: false,
      status: "NONE" as const,
      version: (current?.version ?? 0) + 1,
      lastEventAt: new Date(),
      lastEventId: eventId,
      correlationId: eventId,
    },
    saw: current?.version ?? 0,
  });
  const noTrigger = async () => {};

  it("applies one event id once, however many deliveries of it arrive together", async () => {
    const taskId = taskOf("once");
    const applied = await Promise.all(
      Array.from({ length: 10 }, () =>
        store.applyOnce(`${taskId}-e1`, taskId, bump(taskId, `${taskId}-e1`), noTrigger),
      ),
    );
    expect(applied.filter((a) => !a.duplicate)).toHaveLength(1);
    expect((await store.find(taskId))?.version).toBe(1);
  });

  it("applies a task's events one at a time: each decides on the state the one before saved", async () => {
    const taskId = taskOf("serial");
    const applied = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.applyOnce(`${taskId}-e${i}`, taskId, bump(taskId, `${taskId}-e${i}`), noTrigger),
      ),
    );
    const saw = applied.map((a) => (a.duplicate ? -1 : a.decision.saw)).sort((a, b) => a - b);
    expect(saw).toEqual(Array.from({ length: 20 }, (_, i) => i)); // no lost update
    expect((await store.find(taskId))?.version).toBe(20);
  });

  it("keeps nothing when arming the trigger fails: the event is applied on its next delivery", async () => {
    const taskId = taskOf("rollback");
    const refused = () => Promise.reject(new Error("the scheduler is away"));
    await expect(store.applyOnce(`${taskId}-e1`, taskId, bump(taskId, `${taskId}-e1`), refused)).rejects.toThrow(
      "the scheduler is away",
    );
    expect(await store.find(taskId)).toBeNull();
    const retried = await store.applyOnce(`${taskId}-e1`, taskId, bump(taskId, `${taskId}-e1`), noTrigger);
    expect(retried.duplicate).toBe(false);
    expect((await store.find(taskId))?.version).toBe(1);
  });
});

describe("ReminderStore.claim on PostgreSQL: one firing per reminder version", () => {
  const store = new ReminderStore(stack().databaseUrl);
  const db = new pg.Client({ connectionString: stack().databaseUrl });
  beforeAll(() => db.connect());
  afterAll(async () => {
    await db.end();
    await store.disconnect();
  });
  const pendingReminder = (taskId: string, version: number) =>
    db.query(
      `INSERT INTO reminders (task_id, user_id, remind_at, status, version, last_event_at, last_event_id, correlation_id, updated_at)
       VALUES ($1, 'claims', now(), 'PENDING', $2, now(), 'e', 'c', now())
       ON CONFLICT (task_id) DO UPDATE SET version = $2, status = 'PENDING'`,
      [taskId, version],
    );

  it("gives a version to one of many claims made at once, and to none once it is SENT", async () => {
    const taskId = `${RUN_ID}-claim-race`;
    await pendingReminder(taskId, 1);
    const claims = await Promise.all(Array.from({ length: 12 }, () => store.claim(taskId, 1, 10_000)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await store.markSent(taskId, 1, new Date())).toBe(true);
    expect(await store.claim(taskId, 1, 10_000)).toBe(false);
  });

  it("gives a version again once its claim ran out (its holder crashed), and never a stale version", async () => {
    const taskId = `${RUN_ID}-claim-lease`;
    await pendingReminder(taskId, 1);
    expect(await store.claim(taskId, 1, 300)).toBe(true);
    expect(await store.claim(taskId, 1, 300)).toBe(false);
    await sleep(400);
    expect(await store.claim(taskId, 1, 300)).toBe(true);
    expect(await store.claim(taskId, 2, 300)).toBe(false);
  });
});

describe("ReminderStore.prune on PostgreSQL: retention of event ids and tombstones", () => {
  const store = new ReminderStore(stack().databaseUrl);
  const db = new pg.Client({ connectionString: stack().databaseUrl });
  beforeAll(() => db.connect());
  afterAll(async () => {
    await db.end();
    await store.disconnect();
  });

  it("removes what is older than the cutoff and keeps the rest: a redelivery inside the window is still a duplicate", async () => {
    const id = (name: string) => `${RUN_ID}-prune-${name}`;
    const ago = (days: number) => new Date(Date.now() - days * 24 * 3600_000);
    await db.query(
      `INSERT INTO processed_events (event_id, task_id, processed_at) VALUES ($1, 't', $2), ($3, 't', $4)`,
      [id("old-event"), ago(40), id("recent-event"), ago(2)],
    );
    for (const [name, days, deleted] of [
      ["old-tombstone", 40, true],
      ["recent-tombstone", 2, true],
      ["old-live", 40, false],
    ] as const) {
      await db.query(
        `INSERT INTO reminders (task_id, user_id, status, version, deleted, last_event_at, last_event_id, correlation_id, updated_at)
         VALUES ($1, 'prune', 'NONE', 0, $2, $3, 'e', 'c', $3)`,
        [id(name), deleted, ago(days)],
      );
    }

    const pruned = await store.prune(ago(30), 10_000);
    expect(pruned.processedEvents).toBeGreaterThanOrEqual(1);
    expect(pruned.tombstones).toBeGreaterThanOrEqual(1);
    const left = async (table: string, column: string) =>
      (
        await db.query<{ id: string }>(`SELECT ${column} AS id FROM ${table} WHERE ${column} LIKE $1 ORDER BY 1`, [
          id("%"),
        ])
      ).rows.map((r) => r.id);
    expect(await left("processed_events", "event_id")).toEqual([id("recent-event")]);
    expect(await left("reminders", "task_id")).toEqual([id("old-live"), id("recent-tombstone")]);

    const redelivered = await store.applyOnce(
      id("recent-event"),
      "t",
      () => ({ next: null }),
      async () => {},
    );
    expect(redelivered.duplicate).toBe(true);
  });
});
