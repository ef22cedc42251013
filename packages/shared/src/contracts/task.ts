import { z } from "zod";

/** RFC 3339 date-time with an explicit offset, as CloudEvents `time` uses. */
export const Timestamp = z.iso.datetime({ offset: true });

export const TaskId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, {
    message: "task id may hold letters, digits and . _ : - only",
  });
export const UserId = z.string().min(1).max(128);

export const Priority = z.enum(["low", "medium", "high"]);

/** The fields of a task that a TaskUpdated may change. */
export const TaskFields = z.strictObject({
  title: z.string().trim().min(1).max(500),
  description: z.string().max(5000).nullable(),
  completed: z.boolean(),
  priority: Priority,
  tags: z.array(z.string().trim().min(1).max(50)).max(20),
  due_date: Timestamp.nullable(),
  reminder_time: Timestamp.nullable(),
});

/** A whole task, as TaskCreated carries it. */
export const Task = z.strictObject({
  id: TaskId,
  ...TaskFields.shape,
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type Task = z.infer<typeof Task>;

/** Changed fields only: at least one, never unknown ones. */
export const TaskChanges = TaskFields.partial().refine((changes) => Object.keys(changes).length > 0, {
  message: "changes must name at least one field",
});
export type TaskChanges = z.infer<typeof TaskChanges>;
