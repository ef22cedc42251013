import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DaprSidecar } from "../src/index.ts";
import { MINUTE, fromNow } from "../../../tests/support/clock.ts";

/** A fake Dapr sidecar on loopback: records each call and answers with `nextStatus`. */
let server: Server;
let nextStatus = 204;
const calls: { method: string; url: string; headers: IncomingMessage["headers"]; body: string }[] = [];
let sidecar: DaprSidecar;

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => {
      calls.push({ method: request.method ?? "", url: request.url ?? "", headers: request.headers, body });
      response.statusCode = nextStatus;
      response.end(nextStatus < 300 ? "" : '{"errorCode":"ERR_PUBSUB_PUBLISH_MESSAGE"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  sidecar = new DaprSidecar({ endpoint, apiToken: "sidecar-token-0123456789" });
});
afterAll(() => server.close());
beforeEach(() => {
  calls.length = 0;
  nextStatus = 204;
});

const publishRequest = {
  pubsub: "kafka-pubsub",
  topic: "task-events",
  cloudEvent: { id: "e1", type: "com.todo.task.deleted.v1" },
  partitionKey: "t 1",
  traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
};

describe("DaprSidecar", () => {
  it("publishes a structured CloudEvent keyed by partition key, with the trace context and its API token", async () => {
    expect(await sidecar.publish(publishRequest)).toEqual({ ok: true });
    expect(calls).toEqual([
      expect.objectContaining({
        method: "POST",
        url: "/v1.0/publish/kafka-pubsub/task-events?metadata.partitionKey=t%201",
        body: JSON.stringify(publishRequest.cloudEvent),
      }),
    ]);
    expect(calls[0]?.headers).toMatchObject({
      "content-type": "application/cloudevents+json",
      traceparent: publishRequest.traceparent,
      "dapr-api-token": "sidecar-token-0123456789",
    });
  });

  it("says a 5xx can pass and a 4xx cannot", async () => {
    nextStatus = 500;
    expect(await sidecar.publish(publishRequest)).toMatchObject({ ok: false, retryable: true });
    nextStatus = 404;
    expect(await sidecar.publish(publishRequest)).toMatchObject({ ok: false, retryable: false, reason: /404/ });
  });

  it("says an unreachable sidecar can pass", async () => {
    const gone = new DaprSidecar({ endpoint: "http://127.0.0.1:1" });
    expect(await gone.publish(publishRequest)).toMatchObject({ ok: false, retryable: true, reason: /unreachable/ });
  });

  it("publishes raw bytes with record headers, for dead letters", async () => {
    const bytes = Buffer.from([0xff, 0x00]);
    const headers = { "dlq-reason": "bad & broken" };
    await sidecar.publishRaw({ pubsub: "kafka-deadletters", topic: "dlq", bytes, partitionKey: "k", headers });
    expect(calls[0]?.url).toBe(
      "/v1.0/publish/kafka-deadletters/dlq?metadata.rawPayload=true&metadata.partitionKey=k&metadata.dlq-reason=bad+%26+broken",
    );
    expect(calls[0]?.headers["content-type"]).toBe("application/octet-stream");
  });

  it("schedules a one-shot job with its failure policy, overwriting the one of that name", async () => {
    const dueTime = fromNow(MINUTE);
    await sidecar.scheduleJob("reminder-t1", {
      dueTime,
      data: { task_id: "t1", version: 2 },
      retry: { intervalMs: 2000, maxRetries: 1800 },
    });
    expect(calls[0]).toMatchObject({ method: "POST", url: "/v1.0/jobs/reminder-t1" });
    expect(JSON.parse(calls[0]!.body)).toEqual({
      dueTime: dueTime.toISOString(),
      data: { task_id: "t1", version: 2 },
      failurePolicy: { constant: { interval: "2s", maxRetries: 1800 } },
      overwrite: true,
    });
    await sidecar.deleteJob("reminder-t1");
    expect(calls[1]).toMatchObject({ method: "DELETE", url: "/v1.0/jobs/reminder-t1" });
  });

  it("schedules a job in the trace its data carries (the traceparent header too)", async () => {
    const traceparent = publishRequest.traceparent;
    const retry = { intervalMs: 2000, maxRetries: 1 };
    await sidecar.scheduleJob("reminder-t2", { dueTime: fromNow(MINUTE), data: { task_id: "t2", traceparent }, retry });
    await sidecar.scheduleJob("reminder-t3", { dueTime: fromNow(MINUTE), data: { task_id: "t3" }, retry });
    expect(calls[0]?.headers["traceparent"]).toBe(traceparent);
    expect(calls[1]?.headers["traceparent"]).toBeUndefined();
  });
});
