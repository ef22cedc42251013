/**
 * Times for tests, always relative to the clock when they are asked for: a test that compares
 * with a clock holds on any day (the unit tests also run a year ahead and a year behind,
 * scripts/test.sh). Absolute date-time literals are refused in tests by the lint (eslint.config.js).
 */
export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** The moment `offsetMs` from now (negative: in the past). */
export const fromNow = (offsetMs = 0): Date => new Date(Date.now() + offsetMs);
/** The same, as the RFC 3339 text events carry. */
export const isoFromNow = (offsetMs = 0): string => fromNow(offsetMs).toISOString();
/** The moment `offsetMs` after `base`. */
export const after = (base: Date, offsetMs: number): Date => new Date(base.getTime() + offsetMs);
export const isoAfter = (base: Date, offsetMs: number): string => after(base, offsetMs).toISOString();
