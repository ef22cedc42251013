import { z } from "zod";

/**
 * Text every consumer can store: well-formed Unicode (no lone surrogates, which would be silently
 * replaced on the way to PostgreSQL) and no NUL character (PostgreSQL's text refuses it, SQLSTATE
 * 22021). As a pattern, so that the JSON Schema carries the rule too.
 */
const STORABLE_TEXT = /^(?:[^\0\uD800-\uDFFF]|[\uD800-\uDBFF][\uDC00-\uDFFF])*$/;

export const text = (min: number, max: number) =>
  z
    .string()
    .min(min)
    .max(max)
    .regex(STORABLE_TEXT, { message: "must be well-formed Unicode text without NUL characters" });

/**
 * RFC 3339 date-time with an explicit offset (`Z` or `±hh:mm`): a time without one would be read
 * in whatever zone the reader runs in. Years 1000-9999, in the text and in UTC: what every
 * consumer (JavaScript, Dapr's scheduler, PostgreSQL's timestamptz) reads the same way, and what
 * stays in range when a consumer writes the instant back in UTC (1000-01-01T00:00+14:00 is 999 in
 * UTC: a ReminderDue or a job built from it would break this very rule).
 */
export const Timestamp = z.iso
  .datetime({ offset: true, abort: true })
  .regex(/^[1-9]/, { message: "year must be between 1000 and 9999" })
  .refine(
    (value) => {
      const year = new Date(value).getUTCFullYear();
      return year >= 1000 && year <= 9999;
    },
    { message: "year must be between 1000 and 9999 in UTC too" },
  );

export const TaskId = text(1, 128).regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, {
  message: "task id may hold letters, digits and . _ : - only",
});
export const UserId = text(1, 128);

export const Priority = z.enum(["low", "medium", "high"]);

/**
 * Strict where events enter, tolerant in the consumers. publish-task-event refuses a field it does not
 * know (a typo must not pass silently); a consumer ignores one, because a newer producer may add
 * optional fields before every consumer is upgraded (docs/operations.md: consumers first, then
 * producers). Both are built from the same shapes, so they can never disagree on a known field.
 */
export type Strictness = "strict" | "tolerant";

/**
 * An object schema of the given strictness: a strict and a tolerant object of the same shape parse
 * to the same type; only what they do with unknown keys differs.
 */
export function objectOf<S extends z.core.$ZodLooseShape>(strictness: Strictness, shape: S): z.ZodObject<S> {
  return strictness === "strict" ? z.strictObject(shape) : z.object(shape);
}

/** The fields of a task that a TaskUpdated may change. */
const taskFieldsShape = {
  title: text(0, 500).trim().min(1),
  description: text(0, 5000).nullable(),
  completed: z.boolean(),
  priority: Priority,
  tags: z.array(text(0, 50).trim().min(1)).max(20),
  due_date: Timestamp.nullable(),
  reminder_time: Timestamp.nullable(),
};

/** A whole task, as TaskCreated carries it. */
export const taskSchema = (strictness: Strictness) =>
  objectOf(strictness, { id: TaskId, ...taskFieldsShape, created_at: Timestamp, updated_at: Timestamp });

/**
 * Changed fields only. At publish-task-event: at least one, never an unknown one. In a consumer an update
 * may name only fields it does not know yet (a newer producer's): nothing it knows changed.
 */
export const taskChangesSchema = (strictness: Strictness) => {
  const changes = objectOf(strictness, taskFieldsShape).partial();
  return strictness === "strict"
    ? changes.refine((fields) => Object.keys(fields).length > 0, { message: "changes must name at least one field" })
    : changes;
};

export const Task = taskSchema("strict");
export type Task = z.infer<typeof Task>;
export const TaskChanges = taskChangesSchema("strict");
export type TaskChanges = z.infer<typeof TaskChanges>;
