import { z } from "zod";
import { TaskId, Timestamp } from "./task.ts";

/** The Dapr job that fires a task's reminder; one per task, overwritten when the reminder moves. */
export const reminderJobName = (taskId: string) => `reminder-${taskId}`;

/**
 * What a reminder job carries to emit-reminder: the version it was armed for; remind_at, the
 * reminder time; armed_at, when it was armed (a job armed after its reminder time fires at once);
 * traceparent, the trace of the event that armed it, which the ReminderDue continues.
 * Tolerant of fields it does not know: a job armed by one release may fire on the next, an hour
 * or a year later, so this payload only ever gains optional fields.
 */
export const ReminderTrigger = z.object({
  task_id: TaskId,
  version: z.number().int().positive(),
  remind_at: Timestamp.optional(),
  armed_at: Timestamp.optional(),
  traceparent: z.string().max(55).optional(),
});
export type ReminderTrigger = z.infer<typeof ReminderTrigger>;
