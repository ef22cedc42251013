import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reminderJobName } from "@todo/shared";
import { RUN_ID } from "../support/fixtures.ts";
import { countCopies } from "../support/reminders.ts";
import { readTopicToEnd, stack, triggerJob } from "../support/stack.ts";

/**
 * Two triggers of one reminder version that meet - the job and the sweep after a restart, two
 * retries, two pods of emit-reminder - publish one ReminderDue: whoever fires first claims the
 * version in PostgreSQL. Here the real emit-reminder gets three triggers of each of 30 due
 * reminders at the same moment.
 */
describe("one ReminderDue per reminder version, however many triggers meet", () => {
  const db = new pg.Client({ connectionString: stack().databaseUrl });
  beforeAll(() => db.connect());
  afterAll(() => db.end());

  it("fires each of 30 reminders once when three triggers of each arrive at once", async () => {
    const tasks = Array.from({ length: 30 }, (_, i) => `${RUN_ID}-claims-${i}`);
    for (const taskId of tasks) {
      await db.query(
        `INSERT INTO reminders (task_id, user_id, remind_at, status, version, last_event_at, last_event_id, correlation_id, updated_at)
         VALUES ($1, 'user-1', now() - interval '1 minute', 'PENDING', 1, now(), $2, $2, now())`,
        [taskId, `${taskId}-created`],
      );
    }
    const answers = await Promise.all(
      tasks.flatMap((taskId) =>
        [1, 2, 3].map(() => triggerJob(reminderJobName(taskId), { task_id: taskId, version: 1 })),
      ),
    );
    expect(answers.filter((a) => a.status === 200 && a.body["fired"] === true)).toHaveLength(tasks.length);
    expect(answers.every((a) => a.status === 200 || a.status === 503)).toBe(true);

    const records = await readTopicToEnd("reminders", (record) => tasks.includes(record.key ?? ""));
    for (const taskId of tasks) {
      expect(countCopies(records.filter((r) => r.key === taskId)), taskId).toEqual({
        events: 1,
        duplicateCopies: 0,
        conflictingCopies: 0,
      });
    }
    const sent = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM reminders WHERE task_id = ANY($1) AND status = 'SENT'",
      [tasks],
    );
    expect(sent.rows[0]?.n).toBe(tasks.length);
  });
});
