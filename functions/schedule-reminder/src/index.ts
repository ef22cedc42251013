/**
 * schedule-reminder: Dapr delivers every `task-events` record here (declarative subscription,
 * dapr/subscriptions/). It keeps each task's reminder in PostgreSQL and arms, moves or cancels
 * its trigger: a Dapr job owned by emit-reminder, so that the job fires there.
 * Answers Dapr's contract: SUCCESS, RETRY (database or scheduler unavailable), DROP (invalid).
 */
import type { Context } from "faas-js-runtime";
import { ReminderStore } from "@todo/reminder-store";
import {
  DaprSidecar,
  TaskEvent,
  createLogger,
  deliveryAnswer,
  parseDaprDelivery,
  refuseUnlessFromSidecar,
  reminderJobName,
  taskIdOf,
  type FunctionResponse,
} from "@todo/shared";
import { decide, type Decision } from "./decide.ts";

const log = createLogger("schedule-reminder");
const store = ReminderStore.fromEnv();
// Jobs fire on the app-id whose sidecar created them: we create them on emit-reminder's sidecar.
const triggers = new DaprSidecar({
  endpoint: process.env["REMINDER_JOBS_DAPR_ENDPOINT"] ?? "http://127.0.0.1:3500",
  apiToken: process.env["REMINDER_JOBS_DAPR_API_TOKEN"],
});

export async function handle(context: Context): Promise<FunctionResponse> {
  const refused = refuseUnlessFromSidecar(context.headers);
  if (refused) return refused;
  const delivery = parseDaprDelivery(context.body, TaskEvent);
  if (!delivery.ok) {
    log.warn({ issues: delivery.issues }, "invalid task event: dropped to the dead-letter topic");
    return deliveryAnswer("DROP");
  }
  const event = delivery.value;
  const taskId = taskIdOf(event);
  const eventLog = log.child({ event_id: event.event_id, correlation_id: event.correlation_id, task_id: taskId });
  try {
    const applied = await store.applyOnce<Decision>(
      event.event_id,
      taskId,
      (current) => decide(current, event),
      triggerUpdater(taskId),
    );
    if (applied.duplicate) eventLog.info("duplicate event: nothing changed");
    else eventLog.info({ reason: applied.decision.reason, trigger: applied.decision.trigger }, "reminder updated");
    return deliveryAnswer("SUCCESS");
  } catch (error) {
    eventLog.warn({ err: error }, "could not apply the event now: Dapr will redeliver it");
    return deliveryAnswer("RETRY");
  }
}

/**
 * Arms, moves or cancels the task's job on emit-reminder's sidecar. Runs inside the store's
 * transaction: if the scheduler refuses, nothing is saved and the event is retried.
 */
function triggerUpdater(taskId: string) {
  return async ({ trigger }: Decision): Promise<void> => {
    if (trigger.action === "none") return;
    const name = reminderJobName(taskId);
    const outcome =
      trigger.action === "schedule"
        ? await triggers.scheduleJob(name, { dueTime: trigger.at, data: { task_id: taskId, version: trigger.version } })
        : await triggers.deleteJob(name);
    if (!outcome.ok) throw new Error(`job ${trigger.action} failed: ${outcome.reason}`);
  };
}

export async function shutdown(): Promise<void> {
  await store.disconnect();
}
