import type { z } from "zod";
import { milliseconds, positiveCount } from "./settings.ts";

/**
 * How a reminder is timed. schedule-reminder arms the job (when it is due, how its failures are
 * retried); emit-reminder fires it (how long it holds an early trigger, when it gives up on one
 * ahead of the database). The two must agree, so both read the whole set, with the same defaults,
 * and each refuses to start on a contradiction; a test checks that every deployment gives both
 * the same values.
 */
export const reminderTimingSettings = {
  REMINDER_WAKE_AHEAD_MS: milliseconds(10_000).describe(
    "a reminder's job is due this long before the reminder time, so that a function at zero is started and warm when the time comes",
  ),
  MAX_WAIT_AHEAD_MS: milliseconds(30_000).describe(
    "the longest an early trigger is held before the reminder time; must be at least REMINDER_WAKE_AHEAD_MS",
  ),
  REMINDER_JOB_RETRY_INTERVAL_MS: milliseconds(2_000).describe(
    "a failed job trigger (database or broker down) is retried this often",
  ),
  REMINDER_JOB_MAX_RETRIES: positiveCount(1_800).describe(
    "how many times a failed job trigger is retried (2 s x 1 800: an hour); after that the reminder sweep is the backstop",
  ),
  ORPHAN_AFTER_MS: milliseconds(60_000).describe(
    "a trigger still ahead of the database this long after it first fired is given up (its transaction never committed); must be shorter than the retries",
  ),
};

export type ReminderTiming = { readonly [K in keyof typeof reminderTimingSettings]: number };

/** Pure: what contradicts in a set of timing settings, one sentence each (empty: they agree). */
export function reminderTimingContradictions(timing: ReminderTiming): { path: string; message: string }[] {
  const found: { path: string; message: string }[] = [];
  if (timing.REMINDER_WAKE_AHEAD_MS > timing.MAX_WAIT_AHEAD_MS) {
    found.push({
      path: "REMINDER_WAKE_AHEAD_MS",
      message:
        `jobs due ${timing.REMINDER_WAKE_AHEAD_MS} ms ahead, but an early trigger is held at most ` +
        `MAX_WAIT_AHEAD_MS = ${timing.MAX_WAIT_AHEAD_MS} ms: reminders would be retried until their time instead of waiting for it`,
    });
  }
  const retryWindowMs = timing.REMINDER_JOB_RETRY_INTERVAL_MS * timing.REMINDER_JOB_MAX_RETRIES;
  if (timing.ORPHAN_AFTER_MS >= retryWindowMs) {
    found.push({
      path: "ORPHAN_AFTER_MS",
      message:
        `a trigger ahead of the database is given up after ${timing.ORPHAN_AFTER_MS} ms, but the job's retries ` +
        `end after ${retryWindowMs} ms (REMINDER_JOB_RETRY_INTERVAL_MS x REMINDER_JOB_MAX_RETRIES): a reminder whose commit was only slow would wait for the sweep`,
    });
  }
  return found;
}

/** Adds the timing rules to a function's settings schema (zod's superRefine). */
export function refuseContradictingTiming(timing: ReminderTiming, context: z.RefinementCtx): void {
  for (const { path, message } of reminderTimingContradictions(timing)) {
    context.addIssue({ code: "custom", path: [path], message });
  }
}
