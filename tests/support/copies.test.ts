import { describe, expect, it } from "vitest";
import type { TopicRecord } from "./stack.ts";
import { countCopies } from "./reminders.ts";

const reminderDue = (eventId: string, reminderTime: string, offset: number): TopicRecord => {
  const data = { event_id: eventId, event_type: "ReminderDue", task_id: "t1", reminder_time: reminderTime };
  return {
    topic: "reminders",
    partition: 0,
    offset,
    timestamp: 0,
    key: "t1",
    headers: {},
    text: JSON.stringify({ id: eventId, data }),
    value: { id: eventId, data },
  };
};

describe("countCopies (the chaos matrix's count of ReminderDue records)", () => {
  it("reports a second identical record as a duplicate copy, not a second event", () => {
    const one = reminderDue("reminder-t1-v1", "2026-12-01T08:30:00Z", 0);
    expect(countCopies([one, { ...one, offset: 1 }])).toEqual({ events: 1, duplicateCopies: 1, conflictingCopies: 0 });
  });

  it("reports a second different event as a second event", () => {
    const first = reminderDue("reminder-t1-v1", "2026-12-01T08:30:00Z", 0);
    const second = reminderDue("reminder-t1-v2", "2026-12-01T09:30:00Z", 1);
    expect(countCopies([first, second])).toEqual({ events: 2, duplicateCopies: 0, conflictingCopies: 0 });
  });

  it("reports a record that reuses an event id with other content as conflicting", () => {
    const first = reminderDue("reminder-t1-v1", "2026-12-01T08:30:00Z", 0);
    const other = reminderDue("reminder-t1-v1", "2026-12-01T09:30:00Z", 1);
    expect(countCopies([first, other])).toEqual({ events: 1, duplicateCopies: 0, conflictingCopies: 1 });
  });
});
