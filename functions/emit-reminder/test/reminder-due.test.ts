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

describe("judgeTrigger", () => {
  it("fires the current PENDING version only", () => {
    expect(judgeTrigger(reminder, { task_id: "t1", version: 3 })).toBe("fire");
    expect(judgeTrigger({ ...reminder, status: "SENT" }, { task_id: "t1", version: 3 })).toBe("stale");
    expect(judgeTrigger({ ...reminder, status: "CANCELLED" }, { task_id: "t1", version: 3 })).toBe("stale");
  });

  it("ignores a trigger for a version the reminder has moved past", () => {
    expect(judgeTrigger(reminder, { task_id: "t1", version: 2 })).toBe("stale");
  });

  it("asks to retry a trigger that is ahead of the database (its transaction has not committed)", () => {
    expect(judgeTrigger(reminder, { task_id: "t1", version: 4 })).toBe("early");
    expect(judgeTrigger(null, { task_id: "t1", version: 1 })).toBe("early");
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
