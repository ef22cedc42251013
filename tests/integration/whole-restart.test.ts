import { describe, expect, it } from "vitest";
import { SECOND } from "../support/clock.ts";
import { countCopies, createTask, newTask, remindersAfter } from "../support/reminders.ts";
import { consumerCaughtUp, sleep, stackAll } from "../support/stack.ts";

/**
 * Everything stops - broker, database, scheduler, the sidecars and the functions - while reminders
 * fall due, and starts again later. At the start the scheduler fires the overdue jobs and
 * emit-reminder's sweep searches for overdue reminders at the same moment: both reach the same
 * versions, and each must be published once (seen on the cluster before the claims: two of three
 * reminders due during a restart were published twice). The reminders due after the start fire
 * on time.
 */
describe("a whole restart while reminders fall due", () => {
  it(
    "fires each reminder once: those due while down promptly after the start, the others on time",
    { timeout: 300_000 },
    async () => {
      const start = Date.now();
      const at = (seconds: number) => new Date(start + seconds * SECOND).toISOString();
      const dueWhileDown = [20, 21, 22].map((s) => ({ ...newTask(`restart-down-${s}`), remindAt: at(s) }));
      const dueAfter = [100, 101, 102].map((s) => ({ ...newTask(`restart-after-${s}`), remindAt: at(s) }));
      for (const task of [...dueWhileDown, ...dueAfter]) {
        await createTask(task.taskId, task.eventId("created"), task.remindAt);
      }
      await consumerCaughtUp(); // every reminder armed

      await stackAll("down");
      await sleep(Math.max(0, start + 30 * SECOND - Date.now())); // the first three are due meanwhile
      await stackAll("up");
      const upAt = Date.now();

      for (const task of [...dueWhileDown, ...dueAfter]) {
        const records = await remindersAfter(task.taskId, Math.max(Date.parse(task.remindAt), upAt) + 15 * SECOND);
        expect(countCopies(records), task.taskId).toEqual({ events: 1, duplicateCopies: 0, conflictingCopies: 0 });
        const firedAt = records[0]!.timestamp;
        if (dueWhileDown.includes(task)) expect(firedAt - upAt, task.taskId).toBeLessThan(10 * SECOND);
        else expect(firedAt - Date.parse(task.remindAt), task.taskId).toBeLessThan(SECOND);
      }
    },
  );
});
