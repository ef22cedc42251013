/**
 * schedule-reminder: Dapr delivers every `task-events` record here (declarative subscription,
 * dapr/subscriptions/). It keeps each task's reminder in PostgreSQL and arms, moves or cancels
 * its trigger: a Dapr job owned by emit-reminder, so that the job fires there.
 * Every delivery gets one of Dapr's answers: SUCCESS (applied, or a duplicate), RETRY (the database
 * or the scheduler cannot take it now), or - for a record that can never be applied - SUCCESS
 * after writing it to the dead-letter topic with the reason, so it never holds up its partition.
 */
import type { Applied, ReminderStore } from "@todo/reminder-store";
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
  unwrapBulkDelivery,
  bulkAnswer,
  type BulkEntry,
  type RecordProblem,
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
  readonly store: Pick<ReminderStore, "applyOnce" | "applyAll">;
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
    const bulk = unwrapBulkDelivery(context.body);
    if (bulk) return applyBulk(bulk);
    const delivery = unwrapDaprDelivery(context.body, context.headers);
    if (!delivery.ok) {
      log.warn({ issues: delivery.issues }, "not a pub/sub delivery: dropped");
      return answer("DROP");
    }
    const event = parseRecord(delivery.value.record, ConsumedTaskEvent);
    if (!event.ok) {
      const reason = describeIssues(event.issues);
      return answer(await deadLetterInvalid(delivery.value, event.problem, reason));
    }

    const parent = event.traceparent ?? delivery.value.traceparent;
    return tracing.inSpan("apply task event", "consumer", parent, async (traceparent) =>
      answer(await apply(event.value, delivery.value, traceparent)),
    );
  };

  /**
   * A bulk delivery (records of one partition, in order): every valid record applied in one
   * transaction, each entry answered on its own. A record that can never be read is dead-lettered
   * as a single delivery's is. If the transaction fails for good (one record refused), the records
   * are applied one by one, each then applied or dead-lettered as a single delivery would be; if it
   * fails for now, nothing was kept and every valid record is answered RETRY. Dapr delivers again
   * only the entries not answered SUCCESS, in their order (its resiliency policy, which retries for
   * ever: dapr/resiliency.yaml): so after a RETRY, every later valid record is answered RETRY too,
   * and none overtakes an earlier one of its task.
   */
  async function applyBulk(entries: readonly BulkEntry[]): Promise<FunctionResponse> {
    const statuses = new Map<string, DeliveryStatus>();
    const valid: { entryId: string; event: TaskEvent; delivery: DaprDelivery; parent: string | undefined }[] = [];
    for (const { entryId, delivery } of entries) {
      if (!delivery.ok) {
        log.warn({ issues: delivery.issues }, "not a pub/sub delivery: dropped");
        statuses.set(entryId, "DROP");
        continue;
      }
      const event = parseRecord(delivery.value.record, ConsumedTaskEvent);
      if (!event.ok) {
        statuses.set(entryId, await deadLetterInvalid(delivery.value, event.problem, describeIssues(event.issues)));
        continue;
      }
      valid.push({
        entryId,
        event: event.value,
        delivery: delivery.value,
        parent: event.traceparent ?? delivery.value.traceparent,
      });
    }
    try {
      const applied = await store.applyAll<Decision>(
        valid.map(({ event, parent }) => {
          const taskId = taskIdOf(event);
          return {
            eventId: event.event_id,
            taskId,
            decide: (current) => decide(current, event),
            beforeCommit: (decision) =>
              tracing.inSpan("apply task event", "consumer", parent, (traceparent) =>
                triggerUpdater(jobs, taskId, settings, clock, traceparent)(decision),
              ),
          };
        }),
      );
      valid.forEach(({ entryId, event, delivery }, i) => {
        retrying.settled(delivery.origin);
        logApplied(event, applied[i]!);
        statuses.set(entryId, "SUCCESS");
      });
    } catch (error) {
      const failure = classifyFailure(error);
      let held = failure.kind === "transient";
      for (const { entryId, event, delivery, parent } of valid) {
        if (held) retrying.failed(delivery.origin, failure.reason, failure.hint);
        const status = held
          ? "RETRY"
          : await tracing.inSpan("apply task event", "consumer", parent, (tp) => apply(event, delivery, tp));
        held ||= status === "RETRY";
        statuses.set(entryId, status);
      }
    }
    const answers = entries.map(({ entryId }) => ({ entryId, status: statuses.get(entryId) ?? "RETRY" }));
    for (const { status } of answers) metrics.deliveries.inc({ outcome: status });
    return bulkAnswer(answers);
  }

  function logApplied(event: TaskEvent, applied: Applied<Decision>): void {
    const eventLog = log.child({
      event_id: event.event_id,
      correlation_id: event.correlation_id,
      task_id: taskIdOf(event),
    });
    if (applied.duplicate) eventLog.info("duplicate event: nothing changed");
    else eventLog.info({ reason: applied.decision.reason, trigger: applied.decision.trigger }, "reminder updated");
  }

  function deadLetterInvalid(delivery: DaprDelivery, problem: RecordProblem | undefined, reason: string) {
    return problem === "unsupported schema version"
      ? deadLetter(delivery, "unsupported-version", `unsupported schema version: ${reason}`)
      : deadLetter(delivery, "invalid", `invalid task event: ${reason}`);
  }

  /** Applies the event once: its reminder saved and its job armed, moved or cancelled together. */
  async function apply(event: TaskEvent, delivery: DaprDelivery, traceparent?: string): Promise<DeliveryStatus> {
    const taskId = taskIdOf(event);
    try {
      const applied = await store.applyOnce<Decision>(
        event.event_id,
        taskId,
        (current) => decide(current, event),
        triggerUpdater(jobs, taskId, settings, clock, traceparent),
      );
      retrying.settled(delivery.origin);
      logApplied(event, applied);
      return "SUCCESS";
    } catch (error) {
      const failure = classifyFailure(error);
      if (failure.kind === "permanent") return deadLetter(delivery, "refused", failure.reason);
      retrying.failed(delivery.origin, failure.reason, failure.hint);
      return "RETRY";
    }
  }

  /** The record can never be applied: to the dead-letter topic with the reason, and move on. */
  async function deadLetter(delivery: DaprDelivery, kind: DeadLetterKind, reason: string): Promise<DeliveryStatus> {
    const sent = await deadLetters.send(delivery, reason);
    log.warn({ origin: delivery.origin, reason, dead_lettered: sent.ok }, "record sent to the dead-letter topic");
    if (sent.ok) {
      retrying.settled(delivery.origin);
      metrics.deadLetters.inc({ kind });
      return "SUCCESS";
    }
    // The dead-letter topic cannot take it now: try again later; or never: let Dapr's own
    // dead-letter route (DROP) keep it, without the reason.
    if (sent.retryable) retrying.failed(delivery.origin, `dead-letter topic unavailable: ${sent.reason}`);
    return sent.retryable ? "RETRY" : "DROP";
  }
}

/** Dapr's answer, counted. */
function answer(status: DeliveryStatus): FunctionResponse {
  metrics.deliveries.inc({ outcome: status });
  return deliveryAnswer(status);
}
