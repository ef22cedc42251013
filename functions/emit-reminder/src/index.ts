/**
 * emit-reminder: fires when a reminder is due. Its triggers are Dapr jobs owned by this app-id
 * (`POST /job/reminder-<task>`, and `POST /job/reminder-sweep` now and then): it publishes the
 * reminder's ReminderDue to `reminders`, then marks that version SENT.
 * Publish first, mark second: a crash in between leaves the reminder PENDING, and the retried
 * trigger (or the sweep) publishes the identical event again rather than losing it.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Context } from "faas-js-runtime";
import { z } from "zod";
import { ReminderStore, type ReminderState } from "@todo/reminder-store";
import {
  DaprSidecar,
  InFlight,
  ReminderTrigger,
  classifyFailure,
  counter,
  createLogger,
  databaseUrl,
  histogram,
  loadConfig,
  milliseconds,
  parseCloudEventsInTheHandler,
  problem,
  publishEvent,
  refuseUnlessFromSidecar,
  routeDaprJobTriggersToRoot,
  secret,
  serveOnRuntimeMetrics,
  sidecarSettings,
  throwUnlessOk,
  type FunctionResponse,
} from "@todo/shared";
import { judgeTrigger, reminderDueEvent } from "./reminder-due.ts";

const SERVICE = "emit-reminder";
const SWEEP_JOB = "reminder-sweep";
/** A trigger ahead of the database looks again this often, this many times, before a 503. */
const EARLY_LOOK_EVERY_MS = 100;
const EARLY_LOOKS = 10;
const config = loadConfig(SERVICE, (devMode) =>
  z.object({
    ...sidecarSettings(devMode),
    /** What our daprd sends us: anything else did not come from it. */
    APP_API_TOKEN: secret(devMode),
    DATABASE_URL: databaseUrl(devMode),
    PUBSUB_NAME: z.string().min(1).default("kafka-pubsub"),
    // The backstop for a reminder whose job gave up (its retries last an hour): see README.
    SWEEP_SCHEDULE: z.string().min(1).default("@every 1h"),
    // How long a trigger that came ahead of its reminder time may wait for it.
    MAX_WAIT_AHEAD_MS: milliseconds(30_000),
    // A trigger normally fires on time; the sweep only takes reminders this late, to not race it.
    SWEEP_GRACE_MS: milliseconds(5_000),
    SHUTDOWN_DRAIN_MS: milliseconds(10_000),
  }),
);
const log = createLogger(SERVICE);
const store = new ReminderStore(config.DATABASE_URL);
const dapr = new DaprSidecar({ endpoint: config.DAPR_HTTP_ENDPOINT, apiToken: config.DAPR_API_TOKEN });
const inFlight = new InFlight();
const metrics = {
  triggers: counter("todo_triggers_total", "Reminder job triggers, by what was done with them", ["verdict"]),
  fired: counter("todo_reminders_fired_total", "ReminderDue events published"),
  lateness: histogram(
    "todo_reminder_lateness_seconds",
    "ReminderDue published minus the reminder time",
    [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 30, 300],
  ),
};

export function init(): void {
  parseCloudEventsInTheHandler();
  serveOnRuntimeMetrics();
  routeDaprJobTriggersToRoot();
  if (config.localDevMode) log.warn("local development mode: calls are not authenticated");
  void ensureSweepJob();
}

export async function handle(context: Context): Promise<FunctionResponse> {
  const refused = refuseUnlessFromSidecar(context.headers, config.APP_API_TOKEN);
  if (refused) return refused;
  const job = (context.query as { job?: unknown } | undefined)?.job;
  if (job === SWEEP_JOB) return inFlight.track(answerFailures(sweep()));
  const trigger = ReminderTrigger.safeParse(context.body);
  if (typeof job !== "string" || !trigger.success) {
    log.warn({ job }, "not a reminder trigger");
    return problem(400, "not a reminder trigger", {
      detail: "expected POST /job/<name> from Dapr with {task_id, version}",
    });
  }
  return inFlight.track(answerFailures(fireIfCurrent(trigger.data)));
}

/**
 * A failure that can pass (database or broker unavailable) answers 503, so that Dapr retries the
 * trigger; one that never will answers 200 "not fired" and is logged as an error, so that the
 * trigger stops instead of retrying for ten minutes.
 */
async function answerFailures(work: Promise<FunctionResponse>): Promise<FunctionResponse> {
  try {
    return await work;
  } catch (error) {
    const failure = classifyFailure(error);
    if (failure.kind === "transient") {
      log.warn({ reason: failure.reason }, "trigger failed: Dapr will retry it");
      return problem(503, "reminder not fired yet", { detail: failure.reason, retryAfterSeconds: 2 });
    }
    log.error({ reason: failure.reason }, "trigger can never fire: given up");
    return { statusCode: 200, headers: {}, body: { fired: false, reason: failure.reason } };
  }
}

/**
 * Fires the trigger's reminder if it is still the one to fire. A trigger that comes ahead of the
 * reminder time (it woke this function from zero) waits for the time, once, then looks again:
 * the reminder may have moved or been cancelled meanwhile. A trigger ahead of the database (a past
 * reminder's job fires at once, and can beat the commit that armed it) looks again a few times,
 * briefly, before it asks the scheduler to retry, which would take 2 s.
 */
async function fireIfCurrent(trigger: ReminderTrigger, looks = { waited: false, early: 0 }): Promise<FunctionResponse> {
  const reminder = await store.find(trigger.task_id);
  const judged = judgeTrigger(reminder, trigger, new Date());
  if (judged.verdict === "fire" || (judged.verdict === "wait" && looks.waited)) {
    const fired = await fire(reminder!);
    metrics.triggers.inc({ verdict: "fire" });
    return fired;
  }
  if (judged.verdict === "wait") {
    await sleep(Math.min(judged.waitMs, config.MAX_WAIT_AHEAD_MS));
    return fireIfCurrent(trigger, { ...looks, waited: true });
  }
  if (judged.verdict === "early" && looks.early < EARLY_LOOKS) {
    await sleep(EARLY_LOOK_EVERY_MS);
    return fireIfCurrent(trigger, { ...looks, early: looks.early + 1 });
  }
  metrics.triggers.inc({ verdict: judged.verdict });
  const level = judged.verdict === "orphan" ? "warn" : "info";
  log[level]({ task_id: trigger.task_id, version: trigger.version, verdict: judged.verdict }, "trigger not fired");
  return judged.verdict === "early"
    ? problem(503, "reminder not stored yet", { retryAfterSeconds: 2 })
    : { statusCode: 200, headers: {}, body: { fired: false } };
}

/** Publishes, then marks SENT; a failure throws, and says whether a retry can help. */
async function fire(reminder: ReminderState): Promise<FunctionResponse> {
  const event = reminderDueEvent(reminder);
  const eventLog = log.child({
    event_id: event.event_id,
    correlation_id: event.correlation_id,
    task_id: reminder.taskId,
  });
  throwUnlessOk(await publishEvent(dapr, event, config.PUBSUB_NAME), "ReminderDue not published");
  const marked = await store.markSent(reminder.taskId, reminder.version, new Date());
  const latenessMs = Date.now() - reminder.remindAt!.getTime();
  metrics.fired.inc();
  metrics.lateness.observe(latenessMs / 1000);
  eventLog.info({ marked, lateness_ms: latenessMs }, "ReminderDue published");
  return { statusCode: 200, headers: {}, body: { fired: true, event_id: event.event_id } };
}

/** The safety net: fires PENDING reminders whose trigger was lost or failed for good. */
async function sweep(): Promise<FunctionResponse> {
  const overdue = await store.overdue(new Date(Date.now() - config.SWEEP_GRACE_MS), 100);
  let failed = 0;
  for (const reminder of overdue) {
    await fire(reminder).catch((error: unknown) => {
      failed++;
      log.warn({ task_id: reminder.taskId, reason: classifyFailure(error).reason }, "sweep could not fire");
    });
  }
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
    const outcome = await dapr.scheduleRecurringJob(SWEEP_JOB, config.SWEEP_SCHEDULE, {});
    if (outcome.ok) return;
    await sleep(1000);
  }
  log.error("could not schedule the reminder sweep job");
}

export async function shutdown(): Promise<void> {
  await inFlight.drain(config.SHUTDOWN_DRAIN_MS);
  await store.disconnect();
}
