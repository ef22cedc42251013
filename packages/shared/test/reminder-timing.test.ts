import { z } from "zod";
import { describe, expect, it } from "vitest";
import {
  parseSettings,
  refuseContradictingTiming,
  reminderTimingContradictions,
  reminderTimingSettings,
} from "../src/index.ts";

const defaults = z.object(reminderTimingSettings).parse({});
const schema = () => z.object(reminderTimingSettings).superRefine(refuseContradictingTiming);

describe("reminder timing, shared by schedule-reminder and emit-reminder", () => {
  it("agrees with itself by default", () => {
    expect(defaults).toEqual({
      REMINDER_WAKE_AHEAD_MS: 10_000,
      MAX_WAIT_AHEAD_MS: 30_000,
      REMINDER_JOB_RETRY_INTERVAL_MS: 2_000,
      REMINDER_JOB_MAX_RETRIES: 1_800,
      ORPHAN_AFTER_MS: 60_000,
    });
    expect(reminderTimingContradictions(defaults)).toEqual([]);
  });

  it("refuses jobs woken further ahead than an early trigger may be held", () => {
    const found = reminderTimingContradictions({ ...defaults, REMINDER_WAKE_AHEAD_MS: 60_000 });
    expect(found).toEqual([
      { path: "REMINDER_WAKE_AHEAD_MS", message: expect.stringMatching(/MAX_WAIT_AHEAD_MS = 30000/) as string },
    ]);
  });

  it("refuses an orphan rule that outlasts the job's retries", () => {
    const found = reminderTimingContradictions({ ...defaults, REMINDER_JOB_MAX_RETRIES: 10 });
    expect(found.map((f) => f.path)).toEqual(["ORPHAN_AFTER_MS"]);
  });

  it("makes a function refuse to start, naming the settings that contradict", () => {
    const result = parseSettings(schema, { REMINDER_WAKE_AHEAD_MS: "45000", MAX_WAIT_AHEAD_MS: "20000" });
    expect(result).toMatchObject({
      ok: false,
      problems: [expect.stringMatching(/^REMINDER_WAKE_AHEAD_MS: jobs due 45000 ms ahead/)],
    });
  });
});
