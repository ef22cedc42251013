/**
 * Fakes at the edges, for the functions' unit tests: a clock the test moves, a sidecar that
 * records what it is asked, a silent logger. The logic in the middle is the real one.
 */
import type { Context } from "faas-js-runtime";
import { pino } from "pino";
import type { Application, Applied, ReminderChange, ReminderState } from "@todo/reminder-store";
import type { Job, JobScheduler, Logger, PublishRequest, Publisher, SidecarOutcome } from "@todo/shared";
import { fromNow } from "./clock.ts";

/** A clock that stands still until the test (or a fake sleep) moves it. */
export function fakeClock(start = fromNow()) {
  let now = start.getTime();
  return {
    now: () => new Date(now),
    advance: (ms: number) => {
      now += ms;
    },
    /** A sleep that takes no real time: it moves the clock. */
    sleep: (ms: number) => {
      now += ms;
      return Promise.resolve();
    },
  };
}

export const silentLog: Logger = pino({ level: "silent" });

/** A sidecar that records publishes and jobs; `answer` decides each outcome (default: ok). */
export class FakeSidecar implements Publisher, JobScheduler {
  readonly published: PublishRequest[] = [];
  readonly jobs = new Map<string, Job>();
  readonly calls: string[] = [];
  answer: (call: string) => SidecarOutcome = () => ({ ok: true });

  publish(request: PublishRequest): Promise<SidecarOutcome> {
    const outcome = this.answer(`publish ${request.topic}`);
    this.calls.push(`publish ${request.topic}`);
    if (outcome.ok) this.published.push(request);
    return Promise.resolve(outcome);
  }

  scheduleJob(name: string, job: Job): Promise<SidecarOutcome> {
    const outcome = this.answer(`schedule ${name}`);
    this.calls.push(`schedule ${name}`);
    if (outcome.ok) this.jobs.set(name, job);
    return Promise.resolve(outcome);
  }

  deleteJob(name: string): Promise<SidecarOutcome> {
    const outcome = this.answer(`delete ${name}`);
    this.calls.push(`delete ${name}`);
    if (outcome.ok) this.jobs.delete(name);
    return Promise.resolve(outcome);
  }
}

/** The request faas-js-runtime hands a handler. */
export function requestContext(request: {
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
  query?: Record<string, string>;
}): Context {
  return { method: "POST", headers: {}, query: {}, ...request } as unknown as Context;
}

/**
 * The reminder store's behaviour in memory: one transaction at a time (a redelivered event id
 * changes nothing; a throw keeps nothing), claims with a lease on the given clock.
 */
export class FakeReminderStore {
  readonly rows = new Map<string, ReminderState>();
  readonly processed = new Set<string>();
  readonly claims = new Map<string, number>();
  readonly pruned: Date[] = [];
  private readonly clock: () => Date;

  constructor(clock: () => Date) {
    this.clock = clock;
  }

  async applyOnce<D extends ReminderChange>(
    eventId: string,
    taskId: string,
    decide: (current: ReminderState | null) => D,
    beforeCommit: (decision: D) => Promise<void>,
  ): Promise<Applied<D>> {
    if (this.processed.has(eventId)) return { duplicate: true };
    const decision = decide(this.rows.get(taskId) ?? null);
    await beforeCommit(decision);
    this.processed.add(eventId);
    if (decision.next) this.rows.set(taskId, decision.next);
    return { duplicate: false, decision };
  }

  /** All in one transaction: if one throws, none is kept. */
  async applyAll<D extends ReminderChange>(applications: readonly Application<D>[]): Promise<Applied<D>[]> {
    const rows = new Map(this.rows);
    const processed = new Set(this.processed);
    try {
      const results: Applied<D>[] = [];
      for (const a of applications) results.push(await this.applyOnce(a.eventId, a.taskId, a.decide, a.beforeCommit));
      return results;
    } catch (error) {
      this.rows.clear();
      for (const [k, v] of rows) this.rows.set(k, v);
      this.processed.clear();
      for (const id of processed) this.processed.add(id);
      throw error;
    }
  }

  find(taskId: string): Promise<ReminderState | null> {
    return Promise.resolve(this.rows.get(taskId) ?? null);
  }

  claim(taskId: string, version: number, leaseMs: number): Promise<boolean> {
    const row = this.rows.get(taskId);
    const key = `${taskId}@${version}`;
    const now = this.clock().getTime();
    if (row?.version !== version || row.status !== "PENDING" || (this.claims.get(key) ?? -Infinity) > now) {
      return Promise.resolve(false);
    }
    this.claims.set(key, now + leaseMs);
    return Promise.resolve(true);
  }

  markSent(taskId: string, version: number): Promise<boolean> {
    const row = this.rows.get(taskId);
    if (row?.version !== version || row.status !== "PENDING") return Promise.resolve(false);
    this.rows.set(taskId, { ...row, status: "SENT" });
    return Promise.resolve(true);
  }

  overdue(dueBy: Date, limit: number): Promise<ReminderState[]> {
    const due = [...this.rows.values()].filter(
      (row) => row.status === "PENDING" && row.remindAt !== null && row.remindAt <= dueBy,
    );
    return Promise.resolve(due.slice(0, limit));
  }

  prune(before: Date): Promise<{ processedEvents: number; tombstones: number }> {
    this.pruned.push(before);
    return Promise.resolve({ processedEvents: 0, tombstones: 0 });
  }
}
