/**
 * One HTTP client for every request of the benchmark, so that each path pays the same client cost:
 * keep-alive connections, the stack's tokens read once (tokenOf reads a file per call, too much
 * for each request of a load), and the requests the scenarios send.
 */
import { Agent, request as httpRequest } from "node:http";
import { toStructuredCloudEvent, type TaskDeleted } from "@todo/shared";
import { binaryEvent, type CloudEventRequest } from "../../../tests/support/fixtures.ts";
import { clientAuthorization, stack, tokenOf } from "../../../tests/support/stack.ts";

/** Enough sockets that an open-loop load never waits for one below the rates it reaches here. */
export const agent = new Agent({ keepAlive: true, maxSockets: 1024 });

const TIMEOUT_MS = 10_000;

/** POSTs `body`; resolves to the status (0 when the request failed or took over 10 s). */
export function send(url: string, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve) => {
    const outgoing = httpRequest(url, { method: "POST", headers, agent, timeout: TIMEOUT_MS }, (response) => {
      response.resume();
      response.on("end", () => {
        resolve(response.statusCode ?? 0);
      });
      response.on("error", () => {
        resolve(0);
      });
    });
    outgoing.on("timeout", () => outgoing.destroy(new Error("timeout")));
    outgoing.on("error", () => {
      resolve(0);
    });
    outgoing.end(body);
  });
}

let tokens: { client: Record<string, string>; publishDapr: string; scheduleApp: string } | undefined;
export function stackTokens() {
  tokens ??= {
    client: clientAuthorization(),
    publishDapr: tokenOf("publish-task-event", "dapr"),
    scheduleApp: tokenOf("schedule-reminder", "app"),
  };
  return tokens;
}

/** A request to publish-task-event, as its clients send it (bearer token). */
export const toFunction = (request: CloudEventRequest, url = stack().functions["publish-task-event"].url) =>
  send(url, { ...stackTokens().client, ...request.headers }, request.body);

/** The TaskDeleted every load sends: tombstones only, no reminder job left behind in the scheduler. */
export const deletedRequest = (id: string, taskId: string) =>
  binaryEvent("TaskDeleted", id, { user_id: "bench", task_id: taskId });

export const deleted = (id: string, taskId: string): TaskDeleted => ({
  event_id: id,
  event_type: "TaskDeleted",
  schema_version: 1,
  timestamp: new Date().toISOString(),
  correlation_id: id,
  producer: "/bench",
  user_id: "bench",
  task_id: taskId,
});

/**
 * The same event, structured, to daprd's publish API at `base`: daprd itself, or the floor (the
 * bare forwarder in front of it). What publish-task-event sends daprd for that event.
 */
export const toDaprPublish = (base: string, id: string, taskId: string) =>
  send(
    `${base}/v1.0/publish/kafka-pubsub/task-events?metadata.partitionKey=${taskId}`,
    { "content-type": "application/cloudevents+json", "dapr-api-token": stackTokens().publishDapr },
    JSON.stringify(toStructuredCloudEvent(deleted(id, taskId))),
  );
