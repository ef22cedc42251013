import { reminderJobName, throwUnlessOk, type JobScheduler } from "@todo/shared";
import type { Decision } from "./decide.ts";

/**
 * Arms, moves or cancels the task's job on emit-reminder's sidecar. Runs inside the store's
 * transaction: if the scheduler refuses, nothing is saved, and the error says whether trying
 * again can help (a 5xx or no answer) or not (a 4xx: the job itself is refused).
 */
export function triggerUpdater(scheduler: JobScheduler, taskId: string) {
  return async ({ trigger }: Decision): Promise<void> => {
    if (trigger.action === "none") return;
    const name = reminderJobName(taskId);
    const outcome =
      trigger.action === "schedule"
        ? await scheduler.scheduleJob(name, {
            dueTime: trigger.at,
            data: { task_id: taskId, version: trigger.version },
          })
        : await scheduler.deleteJob(name);
    throwUnlessOk(outcome, `job ${trigger.action}`);
  };
}
