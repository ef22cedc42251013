import { describe, expect, it } from "vitest";
import type { ReminderState } from "@todo/reminder-store";
import type { TaskEvent } from "@todo/shared";
import { DAY, HOUR, MINUTE, fromNow, isoAfter } from "../../../tests/support/clock.ts";
import { decide } from "../src/decide.ts";

const NOW = fromNow();
const REMIND_AT = isoAfter(NOW, 7 * DAY);
const base = { schema_version: 1 as const, correlation_id: "conv", producer: "/chat", user_id: "u1" };
let counter = 0;
/** Events are stamped within the hour before now, `minute` minutes into it. */
const at = (minute: number) => isoAfter(NOW, minute * MINUTE - HOUR);

function created(minute: number, task: Partial<{ reminder_time: string | null; completed: boolean }> = {}): TaskEvent {
  return {
    ...base,
    event_id: `e${++counter}`,
    event_type: "TaskCreated",
    timestamp: at(minute),
    task: {
      id: "t1",
      title: "Buy milk",
      description: null,
      completed: false,
      priority: "low",
      tags: [],
      due_date: isoAfter(NOW, 7 * DAY + 30 * MINUTE),
      reminder_time: REMIND_AT,
      created_at: at(minute),
      updated_at: at(minute),
      ...task,
    },
  };
}
const updated = (minute: number, changes: Extract<TaskEvent, { event_type: "TaskUpdated" }>["changes"]): TaskEvent => ({
  ...base,
  event_id: `e${++counter}`,
  event_type: "TaskUpdated",
  timestamp: at(minute),
  task_id: "t1",
  changes,
});
const deleted = (minute: number): TaskEvent => ({
  ...base,
  event_id: `e${++counter}`,
  event_type: "TaskDeleted",
  timestamp: at(minute),
  task_id: "t1",
});

/** Applies events in order, as the store would (saving `next` when there is one). */
function run(...events: TaskEvent[]) {
  let state: ReminderState | null = null;
  const decisions = events.map((event) => {
    const decision = decide(state, event);
    state = decision.next ?? state;
    return decision;
  });
  return { state: state as ReminderState | null, decisions, last: decisions[decisions.length - 1]! };
}

describe("decide", () => {
  it("arms a new reminder: PENDING, version 1, scheduled at the reminder time", () => {
    const { last, state } = run(created(0));
    expect(last.reason).toBe("armed");
    expect(last.trigger).toEqual({ action: "schedule", at: new Date(REMIND_AT), version: 1 });
    expect(state).toMatchObject({ status: "PENDING", version: 1, remindAt: new Date(REMIND_AT), userId: "u1" });
  });

  it("remembers a task without a reminder (status NONE), so that later changes see the whole task", () => {
    const { last } = run(created(0, { reminder_time: null }));
    expect(last).toMatchObject({
      reason: "no-reminder",
      trigger: { action: "none" },
      next: { status: "NONE", version: 0 },
    });
  });

  it("reschedules to the new time as a new version", () => {
    const moved = isoAfter(NOW, 8 * DAY);
    const { last, state } = run(created(0), updated(1, { reminder_time: moved }));
    expect(last.trigger).toEqual({ action: "schedule", at: new Date(moved), version: 2 });
    expect(state).toMatchObject({ status: "PENDING", version: 2 });
  });

  it("changes nothing about the trigger when other fields change", () => {
    const { last, state } = run(created(0), updated(1, { title: "Buy oat milk", tags: ["x"] }));
    expect(last).toMatchObject({ reason: "kept", trigger: { action: "none" } });
    expect(state).toMatchObject({ status: "PENDING", version: 1 });
  });

  it("cancels when the reminder is removed", () => {
    const { last, state } = run(created(0), updated(1, { reminder_time: null }));
    expect(last).toMatchObject({ reason: "cancelled", trigger: { action: "cancel" } });
    expect(state?.status).toBe("CANCELLED");
  });

  it("cancels when the task is completed, and re-arms (new version) when it is reopened", () => {
    const done = run(created(0), updated(1, { completed: true }));
    expect(done.last.trigger).toEqual({ action: "cancel" });
    const reopened = run(created(0), updated(1, { completed: true }), updated(2, { completed: false }));
    expect(reopened.last.trigger).toEqual({ action: "schedule", at: new Date(REMIND_AT), version: 2 });
  });

  it("cancels on TaskDeleted and ignores anything after it", () => {
    const { decisions, state } = run(created(0), deleted(1), updated(2, { reminder_time: isoAfter(NOW, 9 * DAY) }));
    expect(decisions.map((d) => d.reason)).toEqual(["armed", "task-deleted", "task-deleted"]);
    expect(decisions.map((d) => d.trigger.action)).toEqual(["schedule", "cancel", "none"]);
    expect(state).toMatchObject({ status: "CANCELLED", deleted: true });
  });

  it("leaves a tombstone for a delete that comes before any create: the create after it arms nothing", () => {
    const { decisions, state } = run(deleted(0), created(1));
    expect(decisions[0]).toMatchObject({ reason: "task-deleted", next: { deleted: true, status: "NONE" } });
    expect(decisions[1]).toEqual({ reason: "task-deleted", next: null, trigger: { action: "none" } });
    expect(state).toMatchObject({ deleted: true, status: "NONE" });
  });

  it("arms nothing for a create retried after the delete", () => {
    const { decisions } = run(created(0), deleted(1), created(2));
    expect(decisions.map((d) => d.trigger.action)).toEqual(["schedule", "cancel", "none"]);
  });

  it("does not arm a reminder set later on a task completed while it had none", () => {
    const { last } = run(
      created(0, { reminder_time: null, completed: true }),
      updated(1, { reminder_time: REMIND_AT }),
    );
    expect(last).toMatchObject({ reason: "no-reminder", trigger: { action: "none" }, next: { completed: true } });
  });

  it("does not re-fire a SENT reminder on unrelated changes, but arms a moved one", () => {
    const sent = { ...run(created(0)).state!, status: "SENT" as const };
    expect(decide(sent, updated(1, { title: "x" }))).toMatchObject({ reason: "kept", next: { status: "SENT" } });
    expect(decide(sent, updated(1, { reminder_time: isoAfter(NOW, 14 * DAY) })).trigger).toMatchObject({
      action: "schedule",
      version: 2,
    });
  });

  it("keeps a SENT reminder SENT when the task is completed afterwards (nothing to cancel)", () => {
    const sent = { ...run(created(0)).state!, status: "SENT" as const };
    expect(decide(sent, updated(1, { completed: true }))).toMatchObject({
      trigger: { action: "none" },
      next: { status: "SENT" },
    });
  });

  it("applies events in the order they come, whatever their producers' clocks say", () => {
    // The completion was stamped an hour before the creation (a clock running behind): it still
    // comes after it on the task's partition, and cancels.
    const { last, state } = run(created(59), updated(0, { completed: true }));
    expect(last.trigger).toEqual({ action: "cancel" });
    expect(state?.status).toBe("CANCELLED");
    // A creation stamped a century ahead does not make the delete after it look stale.
    const future = { ...created(0), timestamp: isoAfter(NOW, 36_500 * DAY) };
    expect(run(future, deleted(1)).last.trigger).toEqual({ action: "cancel" });
  });

  it("schedules a past reminder time as it is, so that it fires at once", () => {
    const past = isoAfter(NOW, -365 * DAY);
    const { last } = run(created(0, { reminder_time: past }));
    expect(last.trigger).toEqual({ action: "schedule", at: new Date(past), version: 1 });
  });

  it("records the event it applied, for information and correlation", () => {
    const event = created(7);
    expect(decide(null, event).next).toMatchObject({
      lastEventId: event.event_id,
      lastEventAt: new Date(at(7)),
      correlationId: "conv",
    });
  });

  it("starts a reminder from an update of a task it has not seen", () => {
    const { last } = run(updated(1, { reminder_time: REMIND_AT }));
    expect(last).toMatchObject({ reason: "armed", next: { userId: "u1", completed: false } });
  });
});
