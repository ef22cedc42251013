import { beforeEach, describe, expect, it } from "vitest";
import { binaryEvent, structuredEvent, taskPayload, type CloudEventRequest } from "../../../tests/support/fixtures.ts";
import { noTracing } from "@todo/shared";
import { FakeSidecar, fakeClock, requestContext, silentLog } from "../../../tests/support/fakes.ts";
import { MINUTE, fromNow } from "../../../tests/support/clock.ts";
import { metricValue } from "../../../tests/support/metrics.ts";
import { createHandler } from "../src/handler.ts";

const CLIENT_TOKEN = "chat-api-token-0123456789";
const settings = { PUBLISH_API_TOKENS: [CLIENT_TOKEN, "another-client-token"], PUBSUB_NAME: "kafka-pubsub" };
let sidecar: FakeSidecar;
let handle: ReturnType<typeof createHandler>;

beforeEach(() => {
  sidecar = new FakeSidecar();
  handle = createHandler({ settings, publisher: sidecar, clock: fakeClock().now, log: silentLog, tracing: noTracing });
});

const invoke = (request: CloudEventRequest, authorization = `Bearer ${CLIENT_TOKEN}`, method = "POST") =>
  handle(requestContext({ method, headers: { ...request.headers, authorization }, body: request.body }));
const refusals = (reason: string) => metricValue("todo_requests_refused_total", { reason });

describe("publish-task-event", () => {
  it("publishes a TaskUpdated to both topics, keyed by task id, with its trace context, then answers 202", async () => {
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const answer = await invoke(
      binaryEvent("TaskUpdated", "e1", { user_id: "u", task_id: "t-1", changes: { completed: true } }, { traceparent }),
    );
    expect(answer).toMatchObject({
      statusCode: 202,
      body: { event_id: "e1", topics: ["task-events", "task-updates"] },
    });
    expect(sidecar.published.map(({ topic, partitionKey }) => ({ topic, partitionKey }))).toEqual([
      { topic: "task-events", partitionKey: "t-1" },
      { topic: "task-updates", partitionKey: "t-1" },
    ]);
    expect(sidecar.published[0]).toMatchObject({
      pubsub: "kafka-pubsub",
      traceparent,
      cloudEvent: {
        id: "e1",
        type: "com.todo.task.updated.v1",
        subject: "t-1",
        data: { changes: { completed: true } },
      },
    });
  });

  it("publishes a TaskCreated in structured mode to task-events only", async () => {
    const answer = await invoke(structuredEvent("TaskCreated", "e2", taskPayload("t-2")));
    expect(answer).toMatchObject({ statusCode: 202, body: { topics: ["task-events"] } });
    expect(sidecar.calls).toEqual(["publish task-events"]);
  });

  it("answers 405 with Allow to anything but POST, counted", async () => {
    const before = await refusals("method");
    const answer = await invoke(binaryEvent("TaskDeleted", "e3", { user_id: "u", task_id: "t" }), undefined, "GET");
    expect(answer).toMatchObject({ statusCode: 405, headers: { allow: "POST" } });
    expect(await refusals("method")).toBe(before + 1);
  });

  it("answers 401 to a client without one of the accepted bearer tokens, counted, and publishes nothing", async () => {
    const before = await refusals("authentication");
    const event = binaryEvent("TaskDeleted", "e4", { user_id: "u", task_id: "t" });
    for (const authorization of ["", "Bearer wrong-token-0123456789", `Basic ${CLIENT_TOKEN}`]) {
      expect(await invoke(event, authorization)).toMatchObject({
        statusCode: 401,
        headers: { "www-authenticate": 'Bearer realm="publish-task-event"' },
      });
    }
    expect(await refusals("authentication")).toBe(before + 3);
    expect(sidecar.calls).toEqual([]);
    expect((await invoke(event, "Bearer another-client-token")).statusCode).toBe(202);
  });

  it("accepts the token as the CloudEvent extension authtoken (func invoke -e), and never publishes it", async () => {
    const request = binaryEvent("TaskDeleted", "e11", { user_id: "u", task_id: "t" }, { "ce-authtoken": CLIENT_TOKEN });
    const answer = await handle(requestContext({ headers: request.headers, body: request.body }));
    expect(answer.statusCode).toBe(202);
    expect(JSON.stringify(sidecar.published)).not.toContain(CLIENT_TOKEN);
  });

  it("lets anyone post only in local-development mode (no tokens set)", async () => {
    const open = createHandler({
      settings: { PUBLISH_API_TOKENS: undefined, PUBSUB_NAME: "kafka-pubsub" },
      publisher: sidecar,
      clock: fakeClock().now,
      log: silentLog,
      tracing: noTracing,
    });
    const request = binaryEvent("TaskDeleted", "e5", { user_id: "u", task_id: "t" });
    expect(await open(requestContext({ headers: request.headers, body: request.body }))).toMatchObject({
      statusCode: 202,
    });
  });

  it("answers 400 with every issue, counted by what was wrong, and publishes nothing, for an invalid event", async () => {
    const before = await refusals("data");
    const answer = await invoke(binaryEvent("TaskCreated", "e6", taskPayload("t", { title: "" })));
    expect(answer).toMatchObject({ statusCode: 400, body: { issues: [{ path: "data.task.title" }] } });
    expect(await refusals("data")).toBe(before + 1);
    expect(sidecar.calls).toEqual([]);
  });

  it("answers 415 to batch mode", async () => {
    const answer = await invoke({ headers: { "content-type": "application/cloudevents-batch+json" }, body: "[]" });
    expect(answer.statusCode).toBe(415);
  });

  it("judges the producer's time by its own clock: more than 5 minutes ahead of it is refused", async () => {
    const behind = createHandler({
      settings,
      publisher: sidecar,
      clock: fakeClock(fromNow(-10 * MINUTE)).now,
      log: silentLog,
      tracing: noTracing,
    });
    const request = binaryEvent(
      "TaskDeleted",
      "e7",
      { user_id: "u", task_id: "t" },
      { "ce-time": fromNow().toISOString() },
    );
    const headers = { ...request.headers, authorization: `Bearer ${CLIENT_TOKEN}` };
    expect(await behind(requestContext({ headers, body: request.body }))).toMatchObject({
      statusCode: 400,
      body: { issues: [{ path: "time" }] },
    });
  });

  it("answers 503 with Retry-After when the broker or the sidecar cannot take it now", async () => {
    sidecar.answer = () => ({ ok: false, retryable: true, reason: "dapr answered 500" });
    const answer = await invoke(binaryEvent("TaskDeleted", "e8", { user_id: "u", task_id: "t" }));
    expect(answer).toMatchObject({ statusCode: 503, headers: { "retry-after": "1" } });
  });

  it("answers 500 (our misconfiguration, not the client's) when Dapr refuses the publish for good", async () => {
    sidecar.answer = () => ({ ok: false, retryable: false, reason: "dapr answered 404" });
    expect((await invoke(binaryEvent("TaskDeleted", "e9", { user_id: "u", task_id: "t" }))).statusCode).toBe(500);
  });

  it("answers 503 when the second topic fails after the first took it: the client retries the whole event", async () => {
    sidecar.answer = (call) =>
      call === "publish task-updates" ? { ok: false, retryable: true, reason: "down" } : { ok: true };
    const answer = await invoke(
      binaryEvent("TaskUpdated", "e10", { user_id: "u", task_id: "t", changes: { title: "x" } }),
    );
    expect(answer.statusCode).toBe(503);
    expect(sidecar.published.map((p) => p.topic)).toEqual(["task-events"]);
  });
});
