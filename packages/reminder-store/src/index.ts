/**
 * Reminders in PostgreSQL through Prisma (driver adapter `pg`, no native engine): the one part
 * of I/O that schedule-reminder and emit-reminder share. The decisions live in the functions;
 * this module only loads, locks and saves.
 */
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient, type Reminder } from "./generated/client.ts";
import { fromRow, type ReminderRow } from "./row.ts";

/** NONE: no reminder armed yet; PENDING: armed, its job exists; SENT: fired; CANCELLED: disarmed. */
export type ReminderStatus = "NONE" | "PENDING" | "SENT" | "CANCELLED";

/** What is known of a task, for its reminder: one row per task seen, a tombstone once deleted. */
export interface ReminderState {
  readonly taskId: string;
  readonly userId: string;
  readonly dueDate: Date | null;
  readonly remindAt: Date | null;
  readonly completed: boolean;
  readonly deleted: boolean;
  readonly status: ReminderStatus;
  readonly version: number;
  readonly lastEventAt: Date;
  readonly lastEventId: string;
  readonly correlationId: string;
}

/** A decision about a task's reminder: at least the state to save (null: save nothing). */
export interface ReminderChange {
  readonly next: ReminderState | null;
}

export type Applied<D extends ReminderChange> =
  { readonly duplicate: true } | { readonly duplicate: false; readonly decision: D };

/** One task event to apply: what applyOnce takes. */
export interface Application<D extends ReminderChange> {
  readonly eventId: string;
  readonly taskId: string;
  readonly decide: (current: ReminderState | null) => D;
  readonly beforeCommit: (decision: D) => Promise<void>;
}

/** A batch waits for its locks and runs its job calls inside one transaction: give it time. */
const BATCH_TRANSACTION = { maxWait: 10_000, timeout: 60_000 };

type Tx = Parameters<Parameters<PrismaClient["$transaction"]>[0]>[0];

export class ReminderStore {
  private readonly prisma: PrismaClient;

  constructor(databaseUrl: string) {
    this.prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl, max: 5 }) });
  }

  /**
   * Applies one task event exactly once: in a single transaction it records the event id (a
   * redelivery stops here), locks the task, lets `decide` look at the current reminder, saves what
   * it decided, and runs `beforeCommit` (scheduling the trigger). If anything throws, nothing is
   * kept and the event can be redelivered.
   */
  async applyOnce<D extends ReminderChange>(
    eventId: string,
    taskId: string,
    decide: (current: ReminderState | null) => D,
    beforeCommit: (decision: D) => Promise<void>,
  ): Promise<Applied<D>> {
    return this.prisma.$transaction((tx) => applyIn(tx, { eventId, taskId, decide, beforeCommit }));
  }

  /**
   * Applies task events in order, all in one transaction: each exactly as applyOnce does (a later
   * event of a task sees what an earlier one saved). If any throws, nothing is kept.
   */
  async applyAll<D extends ReminderChange>(applications: readonly Application<D>[]): Promise<Applied<D>[]> {
    return this.prisma.$transaction(async (tx) => {
      const results: Applied<D>[] = [];
      for (const application of applications) results.push(await applyIn(tx, application));
      return results;
    }, BATCH_TRANSACTION);
  }

  async find(taskId: string): Promise<ReminderState | null> {
    const row = await this.prisma.reminder.findUnique({ where: { taskId } });
    return row ? toState(row) : null;
  }

  /**
   * Claims a reminder version for firing, for `leaseMs`: only if it is still the PENDING one and
   * no claim on it is running. Whoever fires first holds the claim, so two triggers meeting (the
   * job and the sweep, two retries, two pods) publish one ReminderDue; a holder that crashes before
   * marking it SENT leaves a claim that runs out, and the next trigger fires it then. The database's
   * clock decides, so pods whose clocks differ still agree.
   */
  async claim(taskId: string, version: number, leaseMs: number): Promise<boolean> {
    const claimed = await this.prisma.$executeRaw`
      UPDATE reminders SET fire_claimed_until = now() + make_interval(secs => ${leaseMs / 1000})
      WHERE task_id = ${taskId} AND version = ${version} AND status = 'PENDING'
        AND (fire_claimed_until IS NULL OR fire_claimed_until < now())`;
    return claimed === 1;
  }

  /** Marks that version SENT, only if it is still the PENDING one; false when someone was first. */
  async markSent(taskId: string, version: number, sentAt: Date): Promise<boolean> {
    const { count } = await this.prisma.reminder.updateMany({
      where: { taskId, version, status: "PENDING" },
      data: { status: "SENT", sentAt, fireClaimedUntil: null },
    });
    return count === 1;
  }

  /** PENDING reminders whose time is at or before `dueBy`, oldest first. */
  async overdue(dueBy: Date, limit: number): Promise<ReminderState[]> {
    const rows = await this.prisma.reminder.findMany({
      where: { status: "PENDING", remindAt: { lte: dueBy } },
      orderBy: { remindAt: "asc" },
      take: limit,
    });
    return rows.map(toState);
  }

  /**
   * Forgets what is older than `before`, at most `batch` rows of each kind per call: the ids of
   * applied events (a redelivery older than that can no longer come) and the tombstones of deleted
   * tasks (no event of theirs can still arrive). Returns how many of each went.
   */
  async prune(before: Date, batch: number): Promise<{ processedEvents: number; tombstones: number }> {
    const processedEvents = await this.prisma.$executeRaw`
      DELETE FROM processed_events WHERE event_id IN (
        SELECT event_id FROM processed_events WHERE processed_at < ${before} LIMIT ${batch})`;
    const tombstones = await this.prisma.$executeRaw`
      DELETE FROM reminders WHERE task_id IN (
        SELECT task_id FROM reminders WHERE deleted AND updated_at < ${before} LIMIT ${batch})`;
    return { processedEvents, tombstones };
  }

  async disconnect(): Promise<void> {
    await this.prisma.$disconnect();
  }
}

async function applyIn<D extends ReminderChange>(
  tx: Tx,
  { eventId, taskId, decide, beforeCommit }: Application<D>,
): Promise<Applied<D>> {
  // One round trip: the row inserted is selected from the lock call, so the task is locked
  // before its event id is looked at. A lock statement and createMany({ skipDuplicates }) in
  // its place cost a third of the transaction's CPU (bench: "schedule-reminder's transaction").
  const recorded = await tx.$executeRaw`
    INSERT INTO processed_events (event_id, task_id)
    SELECT ${eventId}, ${taskId} FROM (SELECT pg_advisory_xact_lock(hashtext(${taskId}))) AS locked
    ON CONFLICT (event_id) DO NOTHING`;
  if (recorded === 0) return { duplicate: true as const };
  // The task's row read and saved in SQL written here rather than through Prisma's query builder:
  // the same statements, a fifth less CPU per event (bench levers). Typed by ReminderRow (row.ts).
  const [row] = await tx.$queryRaw<ReminderRow[]>`
    SELECT task_id, user_id, due_date, remind_at, completed, deleted, status::text AS status, version,
      last_event_at, last_event_id, correlation_id
    FROM reminders WHERE task_id = ${taskId}`;
  const decision = decide(row ? fromRow(row) : null);
  const next = decision.next;
  if (next) {
    // A new version starts unclaimed; a claim on the same version stays (it may be firing now).
    await tx.$executeRaw`
      INSERT INTO reminders (task_id, user_id, due_date, remind_at, completed, deleted, status, version,
        last_event_at, last_event_id, correlation_id, updated_at)
      VALUES (${next.taskId}, ${next.userId}, ${next.dueDate}, ${next.remindAt}, ${next.completed}, ${next.deleted},
        ${next.status}::"ReminderStatus", ${next.version}, ${next.lastEventAt}, ${next.lastEventId},
        ${next.correlationId}, now())
      ON CONFLICT (task_id) DO UPDATE SET user_id = EXCLUDED.user_id, due_date = EXCLUDED.due_date,
        remind_at = EXCLUDED.remind_at, completed = EXCLUDED.completed, deleted = EXCLUDED.deleted,
        status = EXCLUDED.status, version = EXCLUDED.version, last_event_at = EXCLUDED.last_event_at,
        last_event_id = EXCLUDED.last_event_id, correlation_id = EXCLUDED.correlation_id,
        fire_claimed_until = CASE WHEN reminders.version = EXCLUDED.version THEN reminders.fire_claimed_until END,
        updated_at = now()`;
  }
  await beforeCommit(decision);
  return { duplicate: false as const, decision };
}

function toState(row: Reminder): ReminderState {
  return {
    taskId: row.taskId,
    userId: row.userId,
    dueDate: row.dueDate,
    remindAt: row.remindAt,
    completed: row.completed,
    deleted: row.deleted,
    status: row.status,
    version: row.version,
    lastEventAt: row.lastEventAt,
    lastEventId: row.lastEventId,
    correlationId: row.correlationId,
  };
}
