/**
 * publish-task-event: the chat API posts task changes as HTTP CloudEvents; each valid one is
 * published through the Dapr sidecar to `task-events` (and `task-updates` for TaskUpdated), keyed
 * by task id. 202 only after Dapr confirmed; 4xx with what was wrong; 503 + Retry-After when the
 * sidecar or the broker cannot take it now.
 */
import {
  accepted,
  parseCloudEvent,
  problem,
  publishEvent,
  refuseUnlessBearer,
  refused,
  traceIdOf,
  type FunctionResponse,
  type Handler,
  type Logger,
  type Publisher,
  type ReceivedEvent,
  type Tracing,
} from "@todo/shared";
import { metrics } from "./metrics.ts";
import { SERVICE, type Settings } from "./settings.ts";

const TASK_EVENT_TYPES = ["TaskCreated", "TaskUpdated", "TaskDeleted"] as const;

export interface Dependencies {
  readonly settings: Pick<Settings, "PUBLISH_API_TOKENS" | "PUBSUB_NAME">;
  readonly publisher: Publisher;
  readonly clock: () => Date;
  readonly log: Logger;
  readonly tracing: Tracing;
}

export function createHandler({ settings, publisher, clock, log, tracing }: Dependencies): Handler {
  return async (context) => {
    if (context.method !== "POST") {
      const detail = `${context.method} is not supported`;
      return refused(problem(405, "post CloudEvents here", { detail, allow: "POST" }), "method");
    }
    const unauthenticated = refuseUnlessBearer(context.headers, settings.PUBLISH_API_TOKENS, SERVICE);
    if (unauthenticated) return refused(unauthenticated, "authentication");

    const received = parseCloudEvent({ headers: context.headers, body: context.body }, TASK_EVENT_TYPES, clock());
    if (!received.ok) {
      log.info({ issues: received.issues }, "rejected invalid task event");
      const answer = problem(received.status ?? 400, "invalid task event", { issues: received.issues });
      return refused(answer, received.issues[0]?.path.split(".")[0] ?? "invalid");
    }
    const { event, traceparent } = received.value;
    return tracing.inSpan("publish task event", "server", traceparent, (ours) => publish({ event, traceparent: ours }));
  };

  async function publish({ event, traceparent }: ReceivedEvent): Promise<FunctionResponse> {
    const eventLog = log.child({
      event_id: event.event_id,
      correlation_id: event.correlation_id,
      trace_id: traceIdOf(traceparent),
    });
    const stopTimer = metrics.publishSeconds.startTimer();
    const outcome = await publishEvent(publisher, event, settings.PUBSUB_NAME, traceparent);
    if (!outcome.ok) {
      eventLog.warn({ reason: outcome.reason, published_to: outcome.topics }, "publish failed");
      const detail = `${outcome.reason}; send the same CloudEvent again (same id) to retry`;
      return outcome.retryable
        ? refused(problem(503, "event not published", { detail, retryAfterSeconds: 1 }), "unavailable")
        : refused(problem(500, "publishing is misconfigured", { detail }), "misconfigured");
    }
    stopTimer();
    metrics.accepted.inc({ type: event.event_type });
    eventLog.info({ topics: outcome.topics, event_type: event.event_type }, "published");
    return accepted({ event_id: event.event_id, topics: outcome.topics });
  }
}
