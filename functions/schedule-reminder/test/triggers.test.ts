import { describe, expect, it } from "vitest";
import { reminderJob } from "../src/triggers.ts";

const NOW = new Date("2026-12-01T08:00:00.000Z");

describe("reminderJob", () => {
  it("is due the wake-ahead before the reminder time, and says when it was armed", () => {
    const at = new Date("2026-12-01T08:30:00.000Z");
    expect(reminderJob("t1", at, 2, 5000, NOW)).toEqual({
      dueTime: new Date("2026-12-01T08:29:55.000Z"),
      data: { task_id: "t1", version: 2, remind_at: at.toISOString(), armed_at: NOW.toISOString() },
    });
  });

  it("is never due in the past: a past reminder's job is due now, so its retries are spaced from now", () => {
    expect(reminderJob("t1", new Date("2026-11-30T08:00:00.000Z"), 1, 5000, NOW).dueTime).toEqual(NOW);
    expect(reminderJob("t1", new Date("2026-12-01T08:00:03.000Z"), 1, 5000, NOW).dueTime).toEqual(NOW);
  });
});
