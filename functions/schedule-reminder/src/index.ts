/**
 * schedule-reminder: Dapr delivers every `task-events` record here (declarative subscription,
 * dapr/subscriptions/). It keeps each task's reminder in PostgreSQL and arms, moves or cancels
 * its trigger: a Dapr job owned by emit-reminder, so that the job fires there.
 * Every delivery gets one of Dapr's answers: SUCCESS (applied, or a duplicate), RETRY (the database
 * or the scheduler cannot take it now), or - for a record that can never be applied - SUCCESS
 * after writing it to the dead-letter topic with the reason, so it never holds up its partition.
 */
import type { Context } from "faas-js-runtime";
import { z } from "zod";
import { ReminderStore } from "@todo/reminder-store";
import {
  DaprSidecar,
  DeadLetters,
  TaskEvent,
  classifyFailure,
  counter,
  createLogger,
  databaseUrl,
  deliveryAnswer,
  describeIssues,
  httpEndpoint,
  loadConfig,
  milliseconds,
  parseCloudEventsInTheHandler,
  parseRecord,
  refuseUnlessFromSidecar,
  secret,
  serveOnRuntimeMetrics,
  sidecarSettings,
  taskIdOf,
  unwrapDaprDelivery,
  type DaprDelivery,
  type DeliveryStatus,
  type FunctionResponse,
} from "@todo/shared";
import { decide, type Decision } from "./decide.ts";
import { triggerUpdater } from "./triggers.ts";

const SERVICE = "schedule-reminder";
const config = loadConfig(SERVICE, (devMode) =>
  z.object({
    /** Our own daprd: dead letters are published through it. */
    ...sidecarSettings(devMode),
    /** What our daprd sends us: anything else did not come from it. */
    APP_API_TOKEN: secret(devMode),
    DATABASE_URL: databaseUrl(devMode),
    /** emit-reminder's daprd: jobs fire on the app-id whose sidecar created them. */
    REMINDER_JOBS_DAPR_ENDPOINT: httpEndpoint(devMode, "http://127.0.0.1:3500"),
    REMINDER_JOBS_DAPR_API_TOKEN: secret(devMode),
    DEAD_LETTER_PUBSUB: z.string().min(1).default("kafka-deadletters"),
    DEAD_LETTER_TOPIC: z.string().min(1).default("task-events-dlq"),
    /** A reminder's job fires this long before its time, so that emit-reminder is warm then. */
    REMINDER_WAKE_AHEAD_MS: milliseconds(10_000),
  }),
);
const log = createLogger(SERVICE);
const store = new ReminderStore(config.DATABASE_URL);
const triggers = new DaprSidecar({
  endpoint: config.REMINDER_JOBS_DAPR_ENDPOINT,
  apiToken: config.REMINDER_JOBS_DAPR_API_TOKEN,
});
const deadLetters = new DeadLetters(
  new DaprSidecar({ endpoint: config.DAPR_HTTP_ENDPOINT, apiToken: config.DAPR_API_TOKEN }),
  config.DEAD_LETTER_PUBSUB,
  config.DEAD_LETTER_TOPIC,
  SERVICE,
);

const metrics = {
  deliveries: counter("todo_deliveries_total", "Records Dapr delivered, by the answer given", ["outcome"]),
  deadLetters: counter("todo_dead_letters_total", "Records written to the dead-letter topic, by why", ["kind"]),
};

/** Dapr's answer, counted. */
function answer(status: DeliveryStatus): FunctionResponse {
  metrics.deliveries.inc({ outcome: status });
  return deliveryAnswer(status);
}

export function init(): void {
  parseCloudEventsInTheHandler();
  serveOnRuntimeMetrics();
  if (config.localDevMode) log.warn("local development mode: calls are not authenticated");
}

export async function handle(context: Context): Promise<FunctionResponse> {
  const refused = refuseUnlessFromSidecar(context.headers, config.APP_API_TOKEN);
  if (refused) return refused;
  const delivery = unwrapDaprDelivery(context.body, context.headers);
  if (!delivery.ok) {
    log.warn({ issues: delivery.issues }, "not a pub/sub delivery: dropped");
    return answer("DROP");
  }
  const event = parseRecord(delivery.value.record, TaskEvent);
  if (!event.ok) return deadLetter(delivery.value, "invalid", `invalid task event: ${describeIssues(event.issues)}`);

  const taskId = taskIdOf(event.value);
  const eventLog = log.child({
    event_id: event.value.event_id,
    correlation_id: event.value.correlation_id,
    task_id: taskId,
  });
  try {
    const applied = await store.applyOnce<Decision>(
      event.value.event_id,
      taskId,
      (current) => decide(current, event.value),
      triggerUpdater(triggers, taskId, config.REMINDER_WAKE_AHEAD_MS),
    );
    if (applied.duplicate) eventLog.info("duplicate event: nothing changed");
    else eventLog.info({ reason: applied.decision.reason, trigger: applied.decision.trigger }, "reminder updated");
    return answer("SUCCESS");
  } catch (error) {
    const failure = classifyFailure(error);
    if (failure.kind === "permanent") return deadLetter(delivery.value, "refused", failure.reason);
    eventLog.warn({ reason: failure.reason }, "could not apply the event now: Dapr will redeliver it");
    return answer("RETRY");
  }
}

/**
 * The record can never be applied (`kind`: invalid, or refused by the database or the scheduler):
 * to the dead-letter topic with the reason, and move on.
 */
async function deadLetter(
  delivery: DaprDelivery,
  kind: "invalid" | "refused",
  reason: string,
): Promise<FunctionResponse> {
  const sent = await deadLetters.send(delivery, reason);
  log.warn({ origin: delivery.origin, reason, dead_lettered: sent.ok }, "record sent to the dead-letter topic");
  if (sent.ok) {
    metrics.deadLetters.inc({ kind });
    return answer("SUCCESS");
  }
  // The dead-letter topic cannot take it now: try again later; or never: let Dapr's own
  // dead-letter route (DROP) keep it, without the reason.
  return answer(sent.retryable ? "RETRY" : "DROP");
}

export async function shutdown(): Promise<void> {
  await store.disconnect();
}
