import { afterAll, describe, expect, it } from "vitest";
import { countCopies, createTask, inMs, newTask, remindersAfter } from "../support/reminders.ts";
import { sleep, stackCtl } from "../support/stack.ts";

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

  it.each(["emit-reminder", "emit-reminder-dapr"])("kill -9 %s", async (piece) => {
    const { taskId, eventId } = newTask(`crash-${piece}`);
    const remindAt = inMs(3000);
    await createTask(taskId, eventId("created"), remindAt);
    await sleep(2500);
    await stackCtl("kill", piece);
    await sleep(2000); // the reminder comes due while it is down
    await stackCtl("start", piece);
    const records = await remindersAfter(taskId, Date.parse(remindAt) + 15_000);
    expect(countCopies(records)).toMatchObject({ events: 1, conflictingCopies: 0 });
    expect(records[0]?.value["data"]).toMatchObject({ event_id: `reminder-${taskId}-v1`, reminder_time: remindAt });
  });
});
