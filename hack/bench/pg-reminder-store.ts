// The alternative to Prisma the bench measures (not used by the functions): the reminder store's
// public surface on `pg` alone, with the same statements in the same transaction. The bench
// measures its transaction beside Prisma's, and bundles it in place of @todo/reminder-store into
// a copy of schedule-reminder: what leaving Prisma would buy in start time, memory and CPU.
import pg from "pg";
// By path, not by package name: this file stands in for @todo/reminder-store in the bench's bundle.
import { fromRow, type ReminderRow } from "../../packages/reminder-store/src/row.ts";
import type {
  Application,
  Applied,
  ReminderChange,
  ReminderState,
  ReminderStore as PrismaReminderStore,
} from "@todo/reminder-store";

const COLUMNS =
  "task_id, user_id, due_date, remind_at, completed, deleted, status, version, last_event_at, last_event_id, correlation_id";

const UPSERT = `INSERT INTO reminders (${COLUMNS}, updated_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7::"ReminderStatus", $8, $9, $10, $11, now())
  ON CONFLICT (task_id) DO UPDATE SET user_id = $2, due_date = $3, remind_at = $4, completed = $5, deleted = $6,
    status = $7::"ReminderStatus", version = $8, last_event_at = $9, last_event_id = $10, correlation_id = $11,
    fire_claimed_until = CASE WHEN reminders.version = $8 THEN reminders.fire_claimed_until END, updated_at = now()`;

export class ReminderStore implements Pick<PrismaReminderStore, keyof PrismaReminderStore> {
  private readonly pool: pg.Pool;

  constructor(databaseUrl: string) {
    this.pool = new pg.Pool({ connectionString: databaseUrl, max: 5 });
  }

  async applyOnce<D extends ReminderChange>(
    eventId: string,
    taskId: string,
    decide: (current: ReminderState | null) => D,
    beforeCommit: (decision: D) => Promise<void>,
  ): Promise<Applied<D>> {
    const [applied] = await this.applyAll([{ eventId, taskId, decide, beforeCommit }]);
    return applied!;
  }

  async applyAll<D extends ReminderChange>(applications: readonly Application<D>[]): Promise<Applied<D>[]> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      const results: Applied<D>[] = [];
      for (const application of applications) results.push(await this.applyIn(client, application));
      await client.query("COMMIT");
      return results;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  private async applyIn<D extends ReminderChange>(
    client: pg.PoolClient,
    { eventId, taskId, decide, beforeCommit }: Application<D>,
  ): Promise<Applied<D>> {
    const recorded = await client.query(
      `INSERT INTO processed_events (event_id, task_id)
       SELECT $1, $2 FROM (SELECT pg_advisory_xact_lock(hashtext($2))) AS locked
       ON CONFLICT (event_id) DO NOTHING`,
      [eventId, taskId],
    );
    if (recorded.rowCount === 0) return { duplicate: true };
    const { rows } = await client.query<ReminderRow>(`SELECT ${COLUMNS} FROM reminders WHERE task_id = $1`, [taskId]);
    const decision = decide(rows[0] ? fromRow(rows[0]) : null);
    const next = decision.next;
    if (next) {
      await client.query(UPSERT, [
        next.taskId,
        next.userId,
        next.dueDate,
        next.remindAt,
        next.completed,
        next.deleted,
        next.status,
        next.version,
        next.lastEventAt,
        next.lastEventId,
        next.correlationId,
      ]);
    }
    await beforeCommit(decision);
    return { duplicate: false, decision };
  }

  async find(taskId: string): Promise<ReminderState | null> {
    const { rows } = await this.pool.query<ReminderRow>(`SELECT ${COLUMNS} FROM reminders WHERE task_id = $1`, [
      taskId,
    ]);
    return rows[0] ? fromRow(rows[0]) : null;
  }

  async claim(taskId: string, version: number, leaseMs: number): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE reminders SET fire_claimed_until = now() + make_interval(secs => $3)
        WHERE task_id = $1 AND version = $2 AND status = 'PENDING'
          AND (fire_claimed_until IS NULL OR fire_claimed_until < now())`,
      [taskId, version, leaseMs / 1000],
    );
    return rowCount === 1;
  }

  async markSent(taskId: string, version: number, sentAt: Date): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE reminders SET status = 'SENT', sent_at = $3, fire_claimed_until = NULL, updated_at = now()
        WHERE task_id = $1 AND version = $2 AND status = 'PENDING'`,
      [taskId, version, sentAt],
    );
    return rowCount === 1;
  }

  async overdue(dueBy: Date, limit: number): Promise<ReminderState[]> {
    const { rows } = await this.pool.query<ReminderRow>(
      `SELECT ${COLUMNS} FROM reminders WHERE status = 'PENDING' AND remind_at <= $1 ORDER BY remind_at LIMIT $2`,
      [dueBy, limit],
    );
    return rows.map(fromRow);
  }

  async prune(before: Date, batch: number): Promise<{ processedEvents: number; tombstones: number }> {
    const events = await this.pool.query(
      `DELETE FROM processed_events WHERE event_id IN (
        SELECT event_id FROM processed_events WHERE processed_at < $1 LIMIT $2)`,
      [before, batch],
    );
    const tombstones = await this.pool.query(
      `DELETE FROM reminders WHERE task_id IN (SELECT task_id FROM reminders WHERE deleted AND updated_at < $1 LIMIT $2)`,
      [before, batch],
    );
    return { processedEvents: events.rowCount ?? 0, tombstones: tombstones.rowCount ?? 0 };
  }

  async disconnect(): Promise<void> {
    await this.pool.end();
  }
}
