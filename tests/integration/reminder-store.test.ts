import { afterAll, describe, expect, it } from "vitest";
import { ReminderStore, type ReminderState } from "@todo/reminder-store";
import { RUN_ID } from "../support/fixtures.ts";
import { stack } from "../support/stack.ts";

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
