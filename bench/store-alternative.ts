// schedule-reminder's transaction through Prisma (what it uses) and, side by side, the same
// statements through `pg` alone (an alternative we do not use): what leaving Prisma would buy.
// Both run in this process against the stack's PostgreSQL, one transaction at a time.
import pg from "pg";
import { ReminderStore, type ReminderState } from "@todo/reminder-store";
import { ReminderStore as PgReminderStore } from "./pg-reminder-store.ts";
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
  const cost = async (client: string, store: ReminderStore | PgReminderStore): Promise<StoreCost> => {
    const measured = await measure(transactions, async (i) => {
      const [eventId, taskId] = [`${run}-${client}-${i}`, `${run}-${client}-task-${i}`];
      await store.applyOnce(
        eventId,
        taskId,
        () => ({ next: next(taskId, eventId) }),
        async () => {},
      );
    });
    await store.disconnect();
    return measured;
  };
  const prisma = await cost("prisma", new ReminderStore(databaseUrl));
  const direct = await cost("pg", new PgReminderStore(databaseUrl));
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  await db.query("DELETE FROM reminders WHERE task_id LIKE $1", [`${run}-%`]);
  await db.query("DELETE FROM processed_events WHERE task_id LIKE $1", [`${run}-%`]);
  await db.end();
  return { prisma, pg: direct };
}
