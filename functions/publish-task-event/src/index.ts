/**
 * publish-task-event: the chat API posts task changes as HTTP CloudEvents; each valid one is
 * published through the Dapr sidecar to `task-events` (and `task-updates` for TaskUpdated),
 * keyed by task id. 202 only after Dapr confirmed; 4xx with what was wrong; 503 + Retry-After
 * when the sidecar or the broker cannot take it now.
 */
import type { Context } from "faas-js-runtime";
import type { FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import {
  DaprSidecar,
  InFlight,
  accepted,
  counter,
  createLogger,
  histogram,
  loadConfig,
  milliseconds,
  parseCloudEvent,
  parseCloudEventsInTheHandler,
  problem,
  publishEvent,
  refuseUnlessBearer,
  secretList,
  serveOnRuntimeMetrics,
  sidecarSettings,
  traceIdOf,
  type FunctionResponse,
  type ReceivedEvent,
} from "@todo/shared";

const SERVICE = "publish-task-event";
const TASK_EVENT_TYPES = ["TaskCreated", "TaskUpdated", "TaskDeleted"] as const;

const config = loadConfig(SERVICE, (devMode) =>
  z.object({
    ...sidecarSettings(devMode),
    /** Bearer tokens of the clients allowed to post (the chat API), comma-separated. */
    PUBLISH_API_TOKENS: secretList(devMode),
    PUBSUB_NAME: z.string().min(1).default("kafka-pubsub"),
    SHUTDOWN_DRAIN_MS: milliseconds(10_000),
  }),
);
const log = createLogger(SERVICE);
const dapr = new DaprSidecar({ endpoint: config.DAPR_HTTP_ENDPOINT, apiToken: config.DAPR_API_TOKEN });
const inFlight = new InFlight();
const metrics = {
  accepted: counter("todo_events_accepted_total", "Task events published (202), by event type", ["type"]),
  refused: counter("todo_events_refused_total", "Requests not published, by HTTP status and what was wrong", [
    "status",
    "reason",
  ]),
  publishSeconds: histogram(
    "todo_publish_duration_seconds",
    "From a valid request to Dapr's confirmation that the broker stored it",
    [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
  ),
};

/** The answer to a refused request, counted by status and by what was wrong. */
function refuse(answer: FunctionResponse, reason: string): FunctionResponse {
  metrics.refused.inc({ status: String(answer.statusCode), reason });
  return answer;
}

export function init(): void {
  parseCloudEventsInTheHandler();
  serveOnRuntimeMetrics();
  if (config.localDevMode) log.warn("local development mode: clients are not authenticated");
}

export async function handle(context: Context): Promise<FunctionResponse> {
  if (inFlight.draining) return refuse(problem(503, "shutting down", { retryAfterSeconds: 1 }), "draining");
  if (context.method !== "POST") {
    const detail = `${context.method} is not supported`;
    return refuse(problem(405, "post CloudEvents here", { detail, allow: "POST" }), "method");
  }
  const unauthenticated = refuseUnlessBearer(context.headers, config.PUBLISH_API_TOKENS, SERVICE);
  if (unauthenticated) return refuse(unauthenticated, "authentication");
  const received = parseCloudEvent({ headers: context.headers, body: context.body }, TASK_EVENT_TYPES, new Date());
  if (!received.ok) {
    log.info({ issues: received.issues }, "rejected invalid task event");
    const answer = problem(received.status ?? 400, "invalid task event", { issues: received.issues });
    return refuse(answer, received.issues[0]?.path.split(".")[0] ?? "invalid");
  }
  return inFlight.track(publish(received.value));
}

async function publish({ event, traceparent }: ReceivedEvent): Promise<FunctionResponse> {
  const eventLog = log.child({
    event_id: event.event_id,
    correlation_id: event.correlation_id,
    trace_id: traceIdOf(traceparent),
  });
  const stopTimer = metrics.publishSeconds.startTimer();
  const outcome = await publishEvent(dapr, event, config.PUBSUB_NAME, traceparent);
  if (!outcome.ok) {
    eventLog.warn({ reason: outcome.reason, published_to: outcome.topics }, "publish failed");
    const detail = `${outcome.reason}; send the same CloudEvent again (same id) to retry`;
    return outcome.retryable
      ? refuse(problem(503, "event not published", { detail, retryAfterSeconds: 1 }), "unavailable")
      : refuse(problem(500, "publishing is misconfigured", { detail }), "misconfigured");
  }
  stopTimer();
  metrics.accepted.inc({ type: event.event_type });
  eventLog.info({ topics: outcome.topics, event_type: event.event_type }, "published");
  return accepted({ event_id: event.event_id, topics: outcome.topics });
}

/**
 * Ready unless draining. Not gated on the daprd: with Dapr Shared the daprd waits for the
 * function's cluster-local address before it reports healthy, and Knative creates that address
 * only once the function is ready - each would wait for the other. A publish while the daprd is
 * down answers 503 + Retry-After, which the client retries.
 */
export async function readiness(_request: FastifyRequest, reply: FastifyReply): Promise<void> {
  await reply.code(inFlight.draining ? 503 : 200).send(inFlight.draining ? "draining" : "OK");
}

export async function shutdown(): Promise<void> {
  await inFlight.drain(config.SHUTDOWN_DRAIN_MS);
  log.info("drained, shutting down");
}
