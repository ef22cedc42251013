import { describe, expect, it } from "vitest";
import { DAY, MINUTE, SECOND, after, fromNow } from "../../../tests/support/clock.ts";
import { reminderJob } from "../src/triggers.ts";

const NOW = fromNow();
const TIMING = { REMINDER_WAKE_AHEAD_MS: 5000, REMINDER_JOB_RETRY_INTERVAL_MS: 2000, REMINDER_JOB_MAX_RETRIES: 1800 };

describe("reminderJob", () => {
  it("is due the wake-ahead before the reminder time, says when it was armed, and retries as set", () => {
    const at = after(NOW, 30 * MINUTE);
    expect(reminderJob("t1", at, 2, TIMING, NOW)).toEqual({
      dueTime: after(at, -5 * SECOND),
      data: { task_id: "t1", version: 2, remind_at: at.toISOString(), armed_at: NOW.toISOString() },
      retry: { intervalMs: 2000, maxRetries: 1800 },
    });
  });

  it("is never due in the past: a past reminder's job is due now, so its retries are spaced from now", () => {
    expect(reminderJob("t1", after(NOW, -DAY), 1, TIMING, NOW).dueTime).toEqual(NOW);
    expect(reminderJob("t1", after(NOW, 3 * SECOND), 1, TIMING, NOW).dueTime).toEqual(NOW);
  });
});
