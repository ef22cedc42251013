/**
 * schedule-reminder: Dapr delivers every `task-events` record here (declarative subscription,
 * dapr/subscriptions/). It keeps each task's reminder in PostgreSQL and arms, moves or cancels
 * its trigger: a Dapr job owned by emit-reminder, so that the job fires there.
 * Every delivery gets one of Dapr's answers: SUCCESS (applied, or a duplicate), RETRY (the database
 * or the scheduler cannot take it now), or - for a record that can never be applied - SUCCESS
 * after writing it to the dead-letter topic with the reason, so it never holds up its partition.
 */
import type { ReminderStore } from "@todo/reminder-store";
import {
  ConsumedTaskEvent,
  classifyFailure,
  deliveryAnswer,
  describeIssues,
  parseRecord,
  refuseUnlessFromSidecar,
  refused,
  taskIdOf,
  unwrapDaprDelivery,
  type DaprDelivery,
  type DeadLetterWriter,
  type DeliveryStatus,
  type FunctionResponse,
  type Handler,
  type JobScheduler,
  type Logger,
  type RetryingRecords,
  type TaskEvent,
  type Tracing,
} from "@todo/shared";
import { decide, type Decision } from "./decide.ts";
import { metrics } from "./metrics.ts";
import type { Settings } from "./settings.ts";
import { triggerUpdater, type JobTiming } from "./triggers.ts";

export interface Dependencies {
  readonly settings: Pick<Settings, "APP_API_TOKEN"> & JobTiming;
  readonly store: Pick<ReminderStore, "applyOnce">;
  /** emit-reminder's sidecar: the reminder jobs are created there, so that they fire there. */
  readonly jobs: JobScheduler;
  readonly deadLetters: DeadLetterWriter;
  readonly retrying: RetryingRecords;
  readonly clock: () => Date;
  readonly log: Logger;
  readonly tracing: Tracing;
}

type DeadLetterKind = "invalid" | "unsupported-version" | "refused";

export function createHandler(deps: Dependencies): Handler {
  const { settings, store, jobs, deadLetters, retrying, clock, log, tracing } = deps;
  return async (context) => {
    const notFromSidecar = refuseUnlessFromSidecar(context.headers, settings.APP_API_TOKEN);
    if (notFromSidecar) return refused(notFromSidecar, "authentication");
    const delivery = unwrapDaprDelivery(context.body, context.headers);
    if (!delivery.ok) {
      log.warn({ issues: delivery.issues }, "not a pub/sub delivery: dropped");
      return answer("DROP");
    }
    const event = parseRecord(delivery.value.record, ConsumedTaskEvent);
    if (!event.ok) {
      const reason = describeIssues(event.issues);
      return event.problem === "unsupported schema version"
        ? deadLetter(delivery.value, "unsupported-version", `unsupported schema version: ${reason}`)
        : deadLetter(delivery.value, "invalid", `invalid task event: ${reason}`);
    }

    const parent = event.traceparent ?? delivery.value.traceparent;
    return tracing.inSpan("apply task event", "consumer", parent, (traceparent) =>
      apply(event.value, delivery.value, traceparent),
    );
  };

  /** Applies the event once: its reminder saved and its job armed, moved or cancelled together. */
  async function apply(event: TaskEvent, delivery: DaprDelivery, traceparent?: string): Promise<FunctionResponse> {
    const taskId = taskIdOf(event);
    const eventLog = log.child({ event_id: event.event_id, correlation_id: event.correlation_id, task_id: taskId });
    try {
      const applied = await store.applyOnce<Decision>(
        event.event_id,
        taskId,
        (current) => decide(current, event),
        triggerUpdater(jobs, taskId, settings, clock, traceparent),
      );
      retrying.settled(delivery.origin);
      if (applied.duplicate) eventLog.info("duplicate event: nothing changed");
      else eventLog.info({ reason: applied.decision.reason, trigger: applied.decision.trigger }, "reminder updated");
      return answer("SUCCESS");
    } catch (error) {
      const failure = classifyFailure(error);
      if (failure.kind === "permanent") return deadLetter(delivery, "refused", failure.reason);
      retrying.failed(delivery.origin, failure.reason, failure.hint);
      return answer("RETRY");
    }
  }

  /** The record can never be applied: to the dead-letter topic with the reason, and move on. */
  async function deadLetter(delivery: DaprDelivery, kind: DeadLetterKind, reason: string): Promise<FunctionResponse> {
    const sent = await deadLetters.send(delivery, reason);
    log.warn({ origin: delivery.origin, reason, dead_lettered: sent.ok }, "record sent to the dead-letter topic");
    if (sent.ok) {
      retrying.settled(delivery.origin);
      metrics.deadLetters.inc({ kind });
      return answer("SUCCESS");
    }
    // The dead-letter topic cannot take it now: try again later; or never: let Dapr's own
    // dead-letter route (DROP) keep it, without the reason.
    if (sent.retryable) retrying.failed(delivery.origin, `dead-letter topic unavailable: ${sent.reason}`);
    return answer(sent.retryable ? "RETRY" : "DROP");
  }
}

/** Dapr's answer, counted. */
function answer(status: DeliveryStatus): FunctionResponse {
  metrics.deliveries.inc({ outcome: status });
  return deliveryAnswer(status);
}
