// schedule-reminder's transaction through Prisma (what it uses) and, side by side, the same
// statements through `pg` alone (an alternative we do not use): what leaving Prisma would buy.
// Both run in this process against the stack's PostgreSQL, one transaction at a time.
import pg from "pg";
import { ReminderStore, type ReminderState } from "@todo/reminder-store";
import { selfCpuMs } from "./processes.ts";

export interface StoreCost {
  /** CPU of this process (the client side: Prisma or pg) per transaction. */
  readonly clientCpuMs: number;
  /** Wall time per transaction, median. */
  readonly p50Ms: number;
}

function next(taskId: string, eventId: string): ReminderState {
  const at = new Date();
  return {
    taskId,
    userId: "bench",
    dueDate: null,
    remindAt: null, // cancelled: nothing the reminder sweep would ever fire
    completed: false,
    deleted: false,
    status: "CANCELLED",
    version: 1,
    lastEventAt: at,
    lastEventId: eventId,
    correlationId: eventId,
  };
}

/** The same round trips as ReminderStore.applyOnce: lock, record the event, read, upsert. */
async function applyOnceWithPg(client: pg.PoolClient, eventId: string, taskId: string): Promise<void> {
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [taskId]);
    const recorded = await client.query(
      "INSERT INTO processed_events (event_id, task_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
      [eventId, taskId],
    );
    if (recorded.rowCount === 1) {
      await client.query("SELECT * FROM reminders WHERE task_id = $1", [taskId]);
      const s = next(taskId, eventId);
      await client.query(
        `INSERT INTO reminders (task_id, user_id, due_date, remind_at, completed, deleted, status, version,
           last_event_at, last_event_id, correlation_id, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7::"ReminderStatus", $8, $9, $10, $11, now())
         ON CONFLICT (task_id) DO UPDATE SET user_id = $2, due_date = $3, remind_at = $4, completed = $5,
           deleted = $6, status = $7::"ReminderStatus", version = $8, last_event_at = $9, last_event_id = $10,
           correlation_id = $11, updated_at = now()`,
        [
          s.taskId,
          s.userId,
          s.dueDate,
          s.remindAt,
          s.completed,
          s.deleted,
          s.status,
          s.version,
          s.lastEventAt,
          s.lastEventId,
          s.correlationId,
        ],
      );
    }
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  }
}

async function measure(transactions: number, apply: (i: number) => Promise<void>): Promise<StoreCost> {
  for (let i = 0; i < 200; i++) await apply(-1 - i); // warm: connections, JIT
  const walls: number[] = [];
  const cpuBefore = selfCpuMs();
  for (let i = 0; i < transactions; i++) {
    const started = performance.now();
    await apply(i);
    walls.push(performance.now() - started);
  }
  walls.sort((a, b) => a - b);
  return { clientCpuMs: (selfCpuMs() - cpuBefore) / transactions, p50Ms: walls[Math.floor(walls.length / 2)]! };
}

export async function storeTransactionCost(
  databaseUrl: string,
  run: string,
  transactions: number,
): Promise<{ prisma: StoreCost; pg: StoreCost }> {
  const store = new ReminderStore(databaseUrl);
  const prisma = await measure(transactions, async (i) => {
    await store.applyOnce(
      `${run}-prisma-${i}`,
      `${run}-prisma-task-${i}`,
      () => ({ next: next(`${run}-prisma-task-${i}`, `${run}-prisma-${i}`) }),
      async () => {},
    );
  });
  await store.disconnect();
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  const client = await pool.connect();
  const direct = await measure(transactions, (i) => applyOnceWithPg(client, `${run}-pg-${i}`, `${run}-pg-task-${i}`));
  await client.query("DELETE FROM reminders WHERE task_id LIKE $1", [`${run}-%`]);
  await client.query("DELETE FROM processed_events WHERE task_id LIKE $1", [`${run}-%`]);
  client.release();
  await pool.end();
  return { prisma, pg: direct };
}
