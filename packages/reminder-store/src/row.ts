import type { ReminderState, ReminderStatus } from "./index.ts";

/**
 * A reminder's row as SQL written out returns it (snake_case columns): the store's raw reads, and
 * the bench's store on pg alone (hack/bench/pg-reminder-store.ts), read rows into state with this.
 */
export interface ReminderRow {
  readonly task_id: string;
  readonly user_id: string;
  readonly due_date: Date | null;
  readonly remind_at: Date | null;
  readonly completed: boolean;
  readonly deleted: boolean;
  readonly status: ReminderStatus;
  readonly version: number;
  readonly last_event_at: Date;
  readonly last_event_id: string;
  readonly correlation_id: string;
}

export function fromRow(row: ReminderRow): ReminderState {
  return {
    taskId: row.task_id,
    userId: row.user_id,
    dueDate: row.due_date,
    remindAt: row.remind_at,
    completed: row.completed,
    deleted: row.deleted,
    status: row.status,
    version: row.version,
    lastEventAt: row.last_event_at,
    lastEventId: row.last_event_id,
    correlationId: row.correlation_id,
  };
}
