import { readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTask, newTask } from "../support/reminders.ts";
import { consumerCaughtUp, functionMetric, sleep, stack } from "../support/stack.ts";

/**
 * A deploy whose migration did not run: schedule-reminder's table is missing, every delivery
 * fails with SQLSTATE class 42 (transient: the migration may come) and its partition waits. The
 * consumer says so: a metric of how long its oldest failing record has waited, and a log line
 * naming the record and the likely cause. Once the table is back, the record is applied.
 */
describe("a partition held by a record that cannot be applied yet says so", () => {
  const db = new pg.Client({ connectionString: stack().databaseUrl });
  beforeAll(() => db.connect());
  afterAll(async () => {
    await db.query("ALTER TABLE IF EXISTS reminders_hidden_by_test RENAME TO reminders").catch(() => undefined);
    await db.end();
  });

  it("shows the oldest failing record's wait, logs its origin and 'migrations not applied', and applies it once migrated", async () => {
    const { taskId, eventId } = newTask("stalled");
    const logFile = join(stack().logs, "schedule-reminder.log");
    const logBefore = readFileSync(logFile, "utf8").length;
    await db.query("ALTER TABLE reminders RENAME TO reminders_hidden_by_test");
    try {
      await createTask(taskId, eventId("created"), null);
      let waited = 0;
      for (let attempt = 0; attempt < 40 && waited < 3; attempt++) {
        await sleep(500);
        waited = await functionMetric("schedule-reminder", "todo_oldest_retrying_record_seconds");
      }
      expect(waited).toBeGreaterThanOrEqual(3);
      const logged = readFileSync(logFile, "utf8").slice(logBefore);
      expect(logged).toMatch(/"origin":"task-events\/\d+@\d+".*"hint":"migrations not applied/);
    } finally {
      await db.query("ALTER TABLE reminders_hidden_by_test RENAME TO reminders");
    }
    await consumerCaughtUp();
    const row = await db.query("SELECT status FROM reminders WHERE task_id = $1", [taskId]);
    expect(row.rows).toEqual([{ status: "NONE" }]);
    expect(await functionMetric("schedule-reminder", "todo_oldest_retrying_record_seconds")).toBe(0);
  });
});
