import { reminderJobName, throwUnlessOk, type JobScheduler } from "@todo/shared";
import type { Decision } from "./decide.ts";

/**
 * Arms, moves or cancels the task's job on emit-reminder's sidecar. Runs inside the store's
 * transaction: if the scheduler refuses, nothing is saved, and the error says whether trying
 * again can help (a 5xx or no answer) or not (a 4xx: the job itself is refused).
 * The job is due `wakeAheadMs` before the reminder time: its trigger wakes emit-reminder from zero
 * (a cold start through Knative's activator takes seconds), which then waits for the exact time.
 */
export function triggerUpdater(scheduler: JobScheduler, taskId: string, wakeAheadMs: number) {
  return async ({ trigger }: Decision): Promise<void> => {
    if (trigger.action === "none") return;
    const name = reminderJobName(taskId);
    const outcome =
      trigger.action === "schedule"
        ? await scheduler.scheduleJob(name, {
            dueTime: new Date(trigger.at.getTime() - wakeAheadMs),
            data: { task_id: taskId, version: trigger.version, remind_at: trigger.at.toISOString() },
          })
        : await scheduler.deleteJob(name);
    throwUnlessOk(outcome, `job ${trigger.action}`);
  };
}
