import { describe, expect, it } from "vitest";
import type { TopicRecord } from "./stack.ts";
import { countCopies } from "./reminders.ts";
import { HOUR, isoFromNow } from "./clock.ts";

const AT = isoFromNow();
const AN_HOUR_LATER = isoFromNow(HOUR);
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
    const one = reminderDue("reminder-t1-v1", AT, 0);
    expect(countCopies([one, { ...one, offset: 1 }])).toEqual({ events: 1, duplicateCopies: 1, conflictingCopies: 0 });
  });

  it("reports a second different event as a second event", () => {
    const first = reminderDue("reminder-t1-v1", AT, 0);
    const second = reminderDue("reminder-t1-v2", AN_HOUR_LATER, 1);
    expect(countCopies([first, second])).toEqual({ events: 2, duplicateCopies: 0, conflictingCopies: 0 });
  });

  it("reports a record that reuses an event id with other content as conflicting", () => {
    const first = reminderDue("reminder-t1-v1", AT, 0);
    const other = reminderDue("reminder-t1-v1", AN_HOUR_LATER, 1);
    expect(countCopies([first, other])).toEqual({ events: 1, duplicateCopies: 0, conflictingCopies: 1 });
  });
});
