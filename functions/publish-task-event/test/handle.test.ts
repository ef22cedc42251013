import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Context } from "faas-js-runtime";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { binaryEvent, taskPayload, type CloudEventRequest } from "../../../tests/support/fixtures.ts";

const CLIENT_TOKEN = "chat-api-token-0123456789";

/** A fake Dapr sidecar at the edge: records publishes and answers with `nextStatus`. */
let sidecar: Server;
let nextStatus = 204;
const published: { url: string; headers: IncomingMessage["headers"]; body: Record<string, unknown> }[] = [];
let handle: (context: Context) => Promise<{ statusCode: number; headers: Record<string, string>; body: object }>;

beforeAll(async () => {
  sidecar = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => {
      published.push({
        url: request.url ?? "",
        headers: request.headers,
        body: JSON.parse(body) as Record<string, unknown>,
      });
      response.statusCode = nextStatus;
      response.end(nextStatus === 204 ? "" : '{"errorCode":"ERR_PUBSUB_PUBLISH_MESSAGE"}');
    });
  });
  await new Promise<void>((resolve) => sidecar.listen(0, "127.0.0.1", resolve));
  process.env["DAPR_HTTP_ENDPOINT"] = `http://127.0.0.1:${(sidecar.address() as AddressInfo).port}`;
  process.env["DAPR_API_TOKEN"] = "sidecar-token-0123456789";
  process.env["PUBLISH_API_TOKENS"] = `${CLIENT_TOKEN},another-client-token`;
  ({ handle } = (await import("../src/index.ts")) as unknown as { handle: typeof handle });
});
afterAll(() => sidecar.close());
beforeEach(() => {
  published.length = 0;
  nextStatus = 204;
});

const invoke = (request: CloudEventRequest, authorization = `Bearer ${CLIENT_TOKEN}`) =>
  handle({
    method: "POST",
    headers: { ...request.headers, authorization },
    body: JSON.parse(request.body) as object,
  } as unknown as Context);

describe("publish-task-event handle", () => {
  it("publishes a TaskUpdated to both topics with the task id as partition key, then answers 202", async () => {
    const answer = await invoke(
      binaryEvent(
        "TaskUpdated",
        "e1",
        { user_id: "u", task_id: "t-1", changes: { completed: true } },
        {
          traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        },
      ),
    );
    expect(answer).toMatchObject({
      statusCode: 202,
      body: { event_id: "e1", topics: ["task-events", "task-updates"] },
    });
    expect(published.map((p) => p.url)).toEqual([
      "/v1.0/publish/kafka-pubsub/task-events?metadata.partitionKey=t-1",
      "/v1.0/publish/kafka-pubsub/task-updates?metadata.partitionKey=t-1",
    ]);
    expect(published[0]?.headers["content-type"]).toBe("application/cloudevents+json");
    expect(published[0]?.headers["traceparent"]).toBe("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    expect(published[0]?.body).toMatchObject({ id: "e1", type: "com.todo.task.updated.v1", subject: "t-1" });
    expect(published[0]?.headers["dapr-api-token"]).toBe("sidecar-token-0123456789");
  });

  it("answers 401 to a client without one of the accepted bearer tokens, and publishes nothing", async () => {
    const event = binaryEvent("TaskDeleted", "e0", { user_id: "u", task_id: "t" });
    for (const authorization of ["", "Bearer wrong-token-0123456789", `Basic ${CLIENT_TOKEN}`]) {
      expect((await invoke(event, authorization)).statusCode).toBe(401);
    }
    expect(published).toHaveLength(0);
    expect((await invoke(event, "Bearer another-client-token")).statusCode).toBe(202);
  });

  it("answers 400 with the issues, and publishes nothing, for an invalid event", async () => {
    const answer = await invoke(binaryEvent("TaskCreated", "e2", taskPayload("t", { title: "" })));
    expect(answer).toMatchObject({ statusCode: 400, body: { issues: [{ path: "data.task.title" }] } });
    expect(published).toHaveLength(0);
  });

  it("answers 503 with Retry-After when the broker refuses the publish", async () => {
    nextStatus = 500;
    const answer = await invoke(binaryEvent("TaskDeleted", "e3", { user_id: "u", task_id: "t" }));
    expect(answer).toMatchObject({ statusCode: 503, headers: { "retry-after": "1" } });
  });

  it("answers 500 (our misconfiguration, not the client's) when Dapr does not know the pubsub", async () => {
    nextStatus = 404;
    expect((await invoke(binaryEvent("TaskDeleted", "e4", { user_id: "u", task_id: "t" }))).statusCode).toBe(500);
  });
});
