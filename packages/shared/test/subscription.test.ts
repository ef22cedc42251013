import { describe, expect, it } from "vitest";
import { DeadLetters, TaskEvent, parseRecord, unwrapDaprDelivery, type RawPublishRequest } from "../src/index.ts";
import type { DaprSidecar } from "../src/dapr.ts";

const event = {
  event_id: "e1",
  event_type: "TaskDeleted",
  schema_version: 1,
  timestamp: "2026-11-25T10:00:00Z",
  correlation_id: "c",
  producer: "/chat",
  user_id: "u",
  task_id: "t",
};
/** What daprd sends for a subscription with rawPayload: its own CloudEvent around the record bytes. */
const delivery = (record: string) =>
  JSON.stringify({ specversion: "1.0", id: "dapr-id", data_base64: Buffer.from(record).toString("base64") });
const kafkaHeaders = { __topic: "task-events", __partition: "2", __offset: "41", __key: "a%0Ab" };

describe("unwrapDaprDelivery", () => {
  it("gives the record's bytes, its key (unescaped) and where it came from", () => {
    const result = unwrapDaprDelivery(delivery("hello"), kafkaHeaders);
    expect(result).toEqual({
      ok: true,
      value: { record: Buffer.from("hello"), key: "a\nb", origin: "task-events/2@41" },
    });
  });

  it("refuses what is no raw-payload delivery", () => {
    const result = unwrapDaprDelivery(JSON.stringify({ data: event }), {});
    expect(result.ok ? [] : result.issues.map((issue) => issue.path)).toEqual(["data_base64"]);
  });
});

describe("parseRecord", () => {
  it("validates the record's data with the consumer's schema", () => {
    const result = parseRecord(Buffer.from(JSON.stringify({ specversion: "1.0", data: event })), TaskEvent);
    expect(result).toEqual({ ok: true, value: event });
  });

  it.each([
    ["a record that is not JSON", "hello", "record"],
    [
      "a record whose data is no task event",
      JSON.stringify({ data: { ...event, event_type: "Nope" } }),
      "data.event_type",
    ],
    ["text PostgreSQL cannot store", JSON.stringify({ data: { ...event, user_id: "u\u0000" } }), "data.user_id"],
  ])("refuses %s", (_name, record, path) => {
    const result = parseRecord(Buffer.from(record), TaskEvent);
    expect(result.ok ? [] : result.issues.map((issue) => issue.path)).toContain(path);
  });
});

describe("DeadLetters", () => {
  it("writes the record byte for byte, keyed as it was, with why and from where as headers", async () => {
    const sent: RawPublishRequest[] = [];
    const sidecar = {
      publishRaw: (request: RawPublishRequest) => (sent.push(request), Promise.resolve({ ok: true as const })),
    };
    const letters = new DeadLetters(
      sidecar as unknown as DaprSidecar,
      "kafka-deadletters",
      "task-events-dlq",
      "schedule-reminder",
    );
    const record = Buffer.from([0xff, 0x00, 0x41]);
    await letters.send({ record, key: "k", origin: "task-events/0@7" }, "x".repeat(5000));
    expect(sent).toEqual([
      {
        pubsub: "kafka-deadletters",
        topic: "task-events-dlq",
        bytes: record,
        partitionKey: "k",
        headers: {
          "dlq-reason": "x".repeat(1000),
          "dlq-origin": "task-events/0@7",
          "dlq-consumer": "schedule-reminder",
        },
      },
    ]);
  });
});
