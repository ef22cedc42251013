/**
 * emit-reminder: fires when a reminder is due. Its triggers are Dapr jobs owned by this app-id
 * (`POST /job/reminder-<task>`, and `POST /job/reminder-sweep` now and then): it publishes the
 * reminder's ReminderDue to `reminders`, then marks that version SENT.
 * Publish first, mark second: a crash in between leaves the reminder PENDING, and the retried
 * trigger (or the sweep) publishes the identical event again rather than losing it.
 */
import type { Context } from "faas-js-runtime";
import { ReminderStore, type ReminderState } from "@todo/reminder-store";
import {
  DaprSidecar,
  InFlight,
  ReminderTrigger,
  createLogger,
  problem,
  publishEvent,
  refuseUnlessFromSidecar,
  routeDaprJobTriggersToRoot,
  type FunctionResponse,
} from "@todo/shared";
import { judgeTrigger, reminderDueEvent } from "./reminder-due.ts";

const PUBSUB = process.env["PUBSUB_NAME"] ?? "kafka-pubsub";
const SWEEP_JOB = "reminder-sweep";
const SWEEP_SCHEDULE = process.env["SWEEP_SCHEDULE"] ?? "@every 10m";
// A trigger normally fires on time; the sweep only takes reminders this late, to not race it.
const SWEEP_GRACE_MS = Number(process.env["SWEEP_GRACE_MS"] ?? 5_000);

const log = createLogger("emit-reminder");
const store = ReminderStore.fromEnv();
const dapr = DaprSidecar.fromEnv();
const inFlight = new InFlight();

export function init(): void {
  routeDaprJobTriggersToRoot();
  void ensureSweepJob();
}

export async function handle(context: Context): Promise<FunctionResponse> {
  const refused = refuseUnlessFromSidecar(context.headers);
  if (refused) return refused;
  const job = (context.query as { job?: unknown } | undefined)?.job;
  if (job === SWEEP_JOB) return inFlight.track(retryLaterOnError(sweep()));
  const trigger = ReminderTrigger.safeParse(context.body);
  if (typeof job !== "string" || !trigger.success) {
    log.warn({ job, body: context.body }, "not a reminder trigger");
    return problem(400, "not a reminder trigger", {
      detail: "expected POST /job/<name> from Dapr with {task_id, version}",
    });
  }
  return inFlight.track(retryLaterOnError(fireIfCurrent(trigger.data)));
}

/** PostgreSQL unavailable (or any other surprise): 503, so that Dapr retries the trigger. */
async function retryLaterOnError(work: Promise<FunctionResponse>): Promise<FunctionResponse> {
  try {
    return await work;
  } catch (error) {
    log.warn({ err: error }, "trigger failed: Dapr will retry it");
    return problem(503, "reminder store unavailable", { retryAfterSeconds: 2 });
  }
}

async function fireIfCurrent(trigger: ReminderTrigger): Promise<FunctionResponse> {
  const reminder = await store.find(trigger.task_id);
  const verdict = judgeTrigger(reminder, trigger);
  if (verdict === "fire") return fire(reminder!);
  log.info({ task_id: trigger.task_id, version: trigger.version, verdict }, "trigger not fired");
  return verdict === "early"
    ? problem(503, "reminder not stored yet", { retryAfterSeconds: 2 })
    : { statusCode: 200, headers: {}, body: { fired: false } };
}

/** Publishes, then marks SENT; any failure answers 503 so that Dapr retries the trigger. */
async function fire(reminder: ReminderState): Promise<FunctionResponse> {
  const event = reminderDueEvent(reminder);
  const eventLog = log.child({
    event_id: event.event_id,
    correlation_id: event.correlation_id,
    task_id: reminder.taskId,
  });
  const published = await publishEvent(dapr, event, PUBSUB);
  if (!published.ok) {
    eventLog.warn({ reason: published.reason }, "ReminderDue not published: the trigger will be retried");
    return problem(503, "reminder not published", { detail: published.reason, retryAfterSeconds: 5 });
  }
  const marked = await store.markSent(reminder.taskId, reminder.version, new Date());
  eventLog.info({ marked, lateness_ms: Date.now() - reminder.remindAt!.getTime() }, "ReminderDue published");
  return { statusCode: 200, headers: {}, body: { fired: true, event_id: event.event_id } };
}

/** The safety net: fires PENDING reminders whose trigger was lost or failed for good. */
async function sweep(): Promise<FunctionResponse> {
  const overdue = await store.overdue(new Date(Date.now() - SWEEP_GRACE_MS), 100);
  const answers = [];
  for (const reminder of overdue) answers.push(await fire(reminder));
  const failed = answers.filter((answer) => answer.statusCode !== 200).length;
  log.info({ overdue: overdue.length, failed }, "sweep done");
  return failed > 0
    ? problem(503, "some overdue reminders were not published", { retryAfterSeconds: 5 })
    : { statusCode: 200, headers: {}, body: { swept: overdue.length } };
}

/**
 * (Re)creates the recurring sweep job, first due now: so each start also sweeps. The sidecar may
 * start after us (locally it does), so keep trying for a while.
 */
async function ensureSweepJob(): Promise<void> {
  for (let attempt = 1; attempt <= 60; attempt++) {
    const outcome = await dapr.scheduleRecurringJob(SWEEP_JOB, SWEEP_SCHEDULE, {});
    if (outcome.ok) return;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  log.error("could not schedule the reminder sweep job");
}

export async function shutdown(): Promise<void> {
  await inFlight.drain(Number(process.env["SHUTDOWN_DRAIN_MS"] ?? 10_000));
  await store.disconnect();
}
