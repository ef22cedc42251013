import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { DaprSidecar, reminderJobName } from "@todo/shared";
import { countCopies, createTask, inMs, newTask, remindersAfter } from "../support/reminders.ts";
import { sleep, stack, stackCtl, tokenOf } from "../support/stack.ts";
import { reminderJob } from "../../functions/schedule-reminder/src/triggers.ts";

/**
 * kill -9 emit-reminder (then, separately, its daprd) just before a reminder is due, restart it a
 * little after: the reminder still fires, and exactly one ReminderDue event exists for its version
 * (an identical copy, from a crash between publishing and marking it sent, is counted apart).
 */
describe("reminders survive a crash of emit-reminder or its sidecar around the reminder time", () => {
  afterAll(async () => {
    await stackCtl("start", "emit-reminder");
    await stackCtl("start", "emit-reminder-dapr");
  });

  it.each(["emit-reminder", "emit-reminder-dapr"])("kill -9 %s", async (target) => {
    const { taskId, eventId } = newTask(`crash-${target}`);
    const remindAt = inMs(3000);
    await createTask(taskId, eventId("created"), remindAt);
    await sleep(2500);
    await stackCtl("kill", target);
    await sleep(2000); // the reminder comes due while it is down
    await stackCtl("start", target);
    const records = await remindersAfter(taskId, Date.parse(remindAt) + 15_000);
    expect(countCopies(records)).toMatchObject({ events: 1, conflictingCopies: 0 });
    expect(records[0]?.value["data"]).toMatchObject({ event_id: `reminder-${taskId}-v1`, reminder_time: remindAt });
  });
});

/**
 * schedule-reminder arms the job inside its transaction, so the job of a reminder whose time has
 * passed fires at once and can reach emit-reminder before the row is committed. Here the commit is
 * held back on purpose: the job schedule-reminder would arm is armed first, the row written later,
 * as a slow commit would. A commit a little late is found by the trigger looking again (promptly);
 * a very late one by the scheduler's retries, every 2 s: never given up for being past its time.
 */
describe("a past reminder whose job fires before its transaction commits", () => {
  it.each([
    { commitLateMs: 400, firedWithinMs: 1000 },
    { commitLateMs: 8000, firedWithinMs: 3000 },
  ])("fires once the row is committed, $commitLateMs ms late", async ({ commitLateMs, firedWithinMs }) => {
    const { taskId } = newTask(`early-trigger-${commitLateMs}`);
    const remindAt = new Date(Date.now() - 24 * 3600_000);
    const sidecar = new DaprSidecar({
      endpoint: stack().functions["emit-reminder"].dapr,
      apiToken: tokenOf("emit-reminder", "dapr"),
    });
    const db = new pg.Client({ connectionString: stack().databaseUrl });
    await db.connect(); // before the job is armed: the commit comes `commitLateMs` after it, no later
    let committed = 0;
    try {
      const timing = {
        REMINDER_WAKE_AHEAD_MS: 0,
        REMINDER_JOB_RETRY_INTERVAL_MS: 2000,
        REMINDER_JOB_MAX_RETRIES: 1800,
      };
      const job = reminderJob(taskId, remindAt, 1, timing, new Date());
      expect(await sidecar.scheduleJob(reminderJobName(taskId), job)).toEqual({ ok: true });
      await sleep(commitLateMs);
      await db.query(
        `INSERT INTO reminders (task_id, user_id, remind_at, status, version, last_event_at, last_event_id,
           correlation_id, updated_at)
         VALUES ($1, 'user-1', $2, 'PENDING', 1, now(), $3, $3, now())`,
        [taskId, remindAt, `${taskId}-created`],
      );
      committed = Date.now();
    } finally {
      await db.end();
    }
    const records = await remindersAfter(taskId, committed + 5000);
    expect(countCopies(records)).toMatchObject({ events: 1, conflictingCopies: 0 });
    expect(records[0]!.timestamp - committed).toBeLessThan(firedWithinMs);
  });
});
