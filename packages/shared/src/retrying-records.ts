import type { Logger } from "./logger.ts";

/** A record not retried for this long is no longer ours (its partition moved to another consumer). */
const FORGET_AFTER_MS = 10 * 60_000;

interface Failing {
  readonly since: number;
  lastAttempt: number;
  lastLogged: number;
  reason: string;
  hint: string | undefined;
}

/**
 * A consumer answers RETRY while the database or the scheduler cannot take a record; Dapr delivers
 * it again later and holds its partition meanwhile. So that a stalled partition is seen, this
 * remembers since when each such record has been failing: the age of the oldest one is a metric
 * (`oldestAgeSeconds`), and each failing record is logged when it first fails and then once every
 * `logEveryMs`, with its origin, the reason and a hint at the cause when one is known.
 */
export class RetryingRecords {
  private readonly failing = new Map<string, Failing>();
  private readonly log: Logger;
  private readonly clock: () => Date;
  private readonly logEveryMs: number;

  constructor(log: Logger, clock: () => Date, logEveryMs = 60_000) {
    this.log = log;
    this.clock = clock;
    this.logEveryMs = logEveryMs;
  }

  /** The record at `origin` (topic/partition@offset) failed again, for `reason`. */
  failed(origin: string, reason: string, hint?: string): void {
    const now = this.clock().getTime();
    const entry = this.failing.get(origin) ?? { since: now, lastAttempt: now, lastLogged: -Infinity, reason, hint };
    Object.assign(entry, { lastAttempt: now, reason, hint });
    this.failing.set(origin, entry);
    if (now - entry.lastLogged >= this.logEveryMs) {
      entry.lastLogged = now;
      this.log.warn(
        { origin, failing_for_s: Math.round((now - entry.since) / 1000), reason, hint },
        "a record cannot be applied now: Dapr redelivers it, and its partition waits",
      );
    }
  }

  /** The record at `origin` was applied or dead-lettered: its partition moves on. */
  settled(origin: string): void {
    this.failing.delete(origin);
  }

  /** How long the oldest record still failing has been failing, in seconds (0: none). */
  oldestAgeSeconds(): number {
    const now = this.clock().getTime();
    let oldest = now;
    for (const [origin, entry] of this.failing) {
      if (now - entry.lastAttempt > FORGET_AFTER_MS) this.failing.delete(origin);
      else oldest = Math.min(oldest, entry.since);
    }
    return (now - oldest) / 1000;
  }
}
