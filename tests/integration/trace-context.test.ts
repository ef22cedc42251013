import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { binaryEvent, taskPayload } from "../support/fixtures.ts";
import { inMs, newTask, remindersAfter } from "../support/reminders.ts";
import { post } from "../support/stack.ts";

/**
 * One trace from the POST to the ReminderDue: the trace context a client sends with a task event
 * travels through Dapr's publish, the Kafka record, schedule-reminder's delivery and the reminder
 * job, and the ReminderDue record on `reminders` carries the same trace id.
 */
describe("trace context from the POST to the ReminderDue", () => {
  it("gives the ReminderDue the trace id of the event that set the reminder", async () => {
    const traceId = randomBytes(16).toString("hex");
    const { taskId, eventId } = newTask("trace");
    const remindAt = inMs(2500);
    const answer = await post(
      "publish-task-event",
      binaryEvent("TaskCreated", eventId("created"), taskPayload(taskId, { reminder_time: remindAt }), {
        "ce-time": new Date().toISOString(),
        traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
      }),
    );
    expect(answer.status).toBe(202);
    const [reminder] = await remindersAfter(taskId, Date.parse(remindAt) + 3000);
    expect(reminder?.value["traceparent"]).toContain(traceId);
  });
});
