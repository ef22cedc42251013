import { describe, expect, it } from "vitest";
import type { ReminderState } from "@todo/reminder-store";
import { Event } from "@todo/shared";
import { DAY, MINUTE, SECOND, after, fromNow, isoAfter } from "../../../tests/support/clock.ts";
import { judgeTrigger, reminderDueEvent } from "../src/reminder-due.ts";

const ORPHAN_AFTER_MS = 60_000;
/** The reminder's time. */
const AT_TIME = fromNow();
const reminder: ReminderState = {
  taskId: "t1",
  userId: "u1",
  dueDate: after(AT_TIME, 30 * MINUTE),
  remindAt: AT_TIME,
  completed: false,
  deleted: false,
  status: "PENDING",
  version: 3,
  lastEventAt: after(AT_TIME, -6 * DAY),
  lastEventId: "e9",
  correlationId: "conv-1",
};

const judge = (state: ReminderState | null, version: number, now = AT_TIME) =>
  judgeTrigger(state, { task_id: "t1", version }, now, ORPHAN_AFTER_MS).verdict;

describe("judgeTrigger", () => {
  it("fires the current PENDING version only", () => {
    expect(judge(reminder, 3)).toBe("fire");
    expect(judge({ ...reminder, status: "SENT" }, 3)).toBe("stale");
    expect(judge({ ...reminder, status: "CANCELLED" }, 3)).toBe("stale");
  });

  it("ignores a trigger for a version the reminder has moved past", () => {
    expect(judge(reminder, 2)).toBe("stale");
  });

  it("asks to retry a trigger that is ahead of the database (its transaction has not committed)", () => {
    expect(judge(reminder, 4)).toBe("early");
    expect(judge(null, 1)).toBe("early");
  });

  it("gives up a trigger still ahead of the database a minute after its time: its transaction never committed", () => {
    const trigger = { task_id: "t1", version: 1, remind_at: AT_TIME.toISOString() };
    expect(judgeTrigger(null, trigger, after(AT_TIME, 59 * SECOND), ORPHAN_AFTER_MS).verdict).toBe("early");
    expect(judgeTrigger(null, trigger, after(AT_TIME, 61 * SECOND), ORPHAN_AFTER_MS).verdict).toBe("orphan");
    expect(
      judgeTrigger(
        { ...reminder, version: 0 },
        { ...trigger, version: 1 },
        after(AT_TIME, 30 * MINUTE),
        ORPHAN_AFTER_MS,
      ).verdict,
    ).toBe("orphan");
  });

  it("gives a reminder armed after its time (a past reminder: its job fires at once) a minute from when it was armed", () => {
    const trigger = {
      task_id: "t1",
      version: 1,
      remind_at: isoAfter(AT_TIME, -90 * MINUTE),
      armed_at: AT_TIME.toISOString(),
    };
    expect(judgeTrigger(null, trigger, after(AT_TIME, 50), ORPHAN_AFTER_MS).verdict).toBe("early");
    expect(judgeTrigger(null, trigger, after(AT_TIME, 59 * SECOND), ORPHAN_AFTER_MS).verdict).toBe("early");
    expect(judgeTrigger(null, trigger, after(AT_TIME, 61 * SECOND), ORPHAN_AFTER_MS).verdict).toBe("orphan");
  });

  it("waits for the reminder time when the trigger woke the function ahead of it", () => {
    expect(
      judgeTrigger(reminder, { task_id: "t1", version: 3 }, after(AT_TIME, -10 * SECOND), ORPHAN_AFTER_MS),
    ).toEqual({
      verdict: "wait",
      waitMs: 10_000,
    });
    expect(judge(reminder, 3, after(AT_TIME, 1))).toBe("fire");
  });
});

describe("reminderDueEvent", () => {
  it("is a valid ReminderDue, identical each time for the same version", () => {
    const event = reminderDueEvent(reminder);
    expect(Event.ReminderDue.parse(event)).toEqual(event);
    expect(reminderDueEvent({ ...reminder })).toEqual(event);
    expect(event).toMatchObject({
      event_id: "reminder-t1-v3",
      timestamp: AT_TIME.toISOString(),
      reminder_time: AT_TIME.toISOString(),
      due_date: isoAfter(AT_TIME, 30 * MINUTE),
      correlation_id: "conv-1",
      user_id: "u1",
    });
  });

  it("gets a new event_id when the reminder is moved (new version)", () => {
    expect(reminderDueEvent({ ...reminder, version: 4 }).event_id).not.toBe(reminderDueEvent(reminder).event_id);
  });
});
