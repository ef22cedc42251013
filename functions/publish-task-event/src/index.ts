/**
 * publish-task-event: the chat API posts task changes as HTTP CloudEvents; each valid one is
 * published through the Dapr sidecar to `task-events` (and `task-updates` for TaskUpdated),
 * keyed by task id. 202 only after Dapr confirmed; 400 with the issues; 503 + Retry-After otherwise.
 */
import type { Context } from "faas-js-runtime";
import type { FastifyReply, FastifyRequest } from "fastify";
import {
  DaprSidecar,
  InFlight,
  accepted,
  answerRuntimeValidationErrorsWith400,
  createLogger,
  parseCloudEvent,
  problem,
  publishEvent,
  traceIdOf,
  type FunctionResponse,
  type ReceivedEvent,
} from "@todo/shared";

const TASK_EVENT_TYPES = ["TaskCreated", "TaskUpdated", "TaskDeleted"] as const;
const PUBSUB = process.env["PUBSUB_NAME"] ?? "kafka-pubsub";

const log = createLogger("publish-task-event");
const dapr = DaprSidecar.fromEnv();
const inFlight = new InFlight();

export function init(): void {
  answerRuntimeValidationErrorsWith400();
}

export async function handle(context: Context): Promise<FunctionResponse> {
  if (inFlight.draining) return problem(503, "shutting down", { retryAfterSeconds: 1 });
  const received = parseCloudEvent({ headers: context.headers, body: context.body }, TASK_EVENT_TYPES, new Date());
  if (!received.ok) {
    log.info({ issues: received.issues }, "rejected invalid task event");
    return problem(400, "invalid task event", { issues: received.issues });
  }
  return inFlight.track(publish(received.value));
}

async function publish({ event, traceparent }: ReceivedEvent): Promise<FunctionResponse> {
  const eventLog = log.child({
    event_id: event.event_id,
    correlation_id: event.correlation_id,
    trace_id: traceIdOf(traceparent),
  });
  const outcome = await publishEvent(dapr, event, PUBSUB, traceparent);
  if (!outcome.ok) {
    eventLog.warn({ reason: outcome.reason, published_to: outcome.topics }, "publish failed");
    const detail = `${outcome.reason}; send the same CloudEvent again (same id) to retry`;
    return outcome.retryable
      ? problem(503, "event not published", { detail, retryAfterSeconds: 1 })
      : problem(500, "publishing is misconfigured", { detail });
  }
  eventLog.info({ topics: outcome.topics, event_type: event.event_type }, "published");
  return accepted({ event_id: event.event_id, topics: outcome.topics });
}

/** Ready only when the sidecar is up and connected to its components, and we are not draining. */
export async function readiness(_request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const ready = !inFlight.draining && (await dapr.isReady());
  await reply.code(ready ? 200 : 503).send(ready ? "OK" : "dapr sidecar not ready");
}

export async function shutdown(): Promise<void> {
  await inFlight.drain(Number(process.env["SHUTDOWN_DRAIN_MS"] ?? 10_000));
  log.info("drained, shutting down");
}
