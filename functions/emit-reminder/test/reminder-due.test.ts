import { describe, expect, it } from "vitest";
import type { ReminderState } from "@todo/reminder-store";
import { Event } from "@todo/shared";
import { judgeTrigger, reminderDueEvent } from "../src/reminder-due.ts";

const reminder: ReminderState = {
  taskId: "t1",
  userId: "u1",
  dueDate: new Date("2026-12-01T09:00:00Z"),
  remindAt: new Date("2026-12-01T08:30:00Z"),
  completed: false,
  deleted: false,
  status: "PENDING",
  version: 3,
  lastEventAt: new Date("2026-11-25T10:00:00Z"),
  lastEventId: "e9",
  correlationId: "conv-1",
};

const AT_TIME = new Date("2026-12-01T08:30:00Z");
const judge = (state: ReminderState | null, version: number, now = AT_TIME) =>
  judgeTrigger(state, { task_id: "t1", version }, now).verdict;

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
    const trigger = { task_id: "t1", version: 1, remind_at: "2026-12-01T08:30:00.000Z" };
    expect(judgeTrigger(null, trigger, new Date("2026-12-01T08:30:59Z")).verdict).toBe("early");
    expect(judgeTrigger(null, trigger, new Date("2026-12-01T08:31:01Z")).verdict).toBe("orphan");
    expect(
      judgeTrigger({ ...reminder, version: 0 }, { ...trigger, version: 1 }, new Date("2026-12-01T09:00:00Z")).verdict,
    ).toBe("orphan");
  });

  it("gives a reminder armed after its time (a past reminder: its job fires at once) a minute from when it was armed", () => {
    const trigger = {
      task_id: "t1",
      version: 1,
      remind_at: "2026-12-01T07:00:00.000Z",
      armed_at: "2026-12-01T08:30:00.000Z",
    };
    expect(judgeTrigger(null, trigger, new Date("2026-12-01T08:30:00.050Z")).verdict).toBe("early");
    expect(judgeTrigger(null, trigger, new Date("2026-12-01T08:30:59Z")).verdict).toBe("early");
    expect(judgeTrigger(null, trigger, new Date("2026-12-01T08:31:01Z")).verdict).toBe("orphan");
  });

  it("waits for the reminder time when the trigger woke the function ahead of it", () => {
    expect(judgeTrigger(reminder, { task_id: "t1", version: 3 }, new Date("2026-12-01T08:29:50Z"))).toEqual({
      verdict: "wait",
      waitMs: 10_000,
    });
    expect(judge(reminder, 3, new Date("2026-12-01T08:30:00.001Z"))).toBe("fire");
  });
});

describe("reminderDueEvent", () => {
  it("is a valid ReminderDue, identical each time for the same version", () => {
    const event = reminderDueEvent(reminder);
    expect(Event.ReminderDue.parse(event)).toEqual(event);
    expect(reminderDueEvent({ ...reminder })).toEqual(event);
    expect(event).toMatchObject({
      event_id: "reminder-t1-v3",
      timestamp: "2026-12-01T08:30:00.000Z",
      reminder_time: "2026-12-01T08:30:00.000Z",
      due_date: "2026-12-01T09:00:00.000Z",
      correlation_id: "conv-1",
      user_id: "u1",
    });
  });

  it("gets a new event_id when the reminder is moved (new version)", () => {
    expect(reminderDueEvent({ ...reminder, version: 4 }).event_id).not.toBe(reminderDueEvent(reminder).event_id);
  });
});
