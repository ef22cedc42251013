import { describe, expect, it } from "vitest";
import { ConsumedTaskEvent, parseRecord, unwrapDaprDelivery } from "../src/index.ts";
import { isoFromNow } from "../../../tests/support/clock.ts";

const event = {
  event_id: "e1",
  event_type: "TaskDeleted",
  schema_version: 1,
  timestamp: isoFromNow(),
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
      value: { record: Buffer.from("hello"), key: "a\nb", origin: "task-events/2@41", traceparent: undefined },
    });
  });

  it("refuses what is no raw-payload delivery", () => {
    const result = unwrapDaprDelivery(JSON.stringify({ data: event }), {});
    expect(result.ok ? [] : result.issues.map((issue) => issue.path)).toEqual(["data_base64"]);
  });
});

describe("parseRecord", () => {
  it("validates the record's data with the consumer's schema", () => {
    const result = parseRecord(Buffer.from(JSON.stringify({ specversion: "1.0", data: event })), ConsumedTaskEvent);
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
    const result = parseRecord(Buffer.from(record), ConsumedTaskEvent);
    expect(result.ok ? [] : result.issues.map((issue) => issue.path)).toContain(path);
    expect(result).toMatchObject({ problem: "invalid" });
  });

  it("reads an event of a newer producer of the same major version, ignoring the fields it does not know", () => {
    const newer = { ...event, channel: "voice", origin: { app: "chat", version: 7 } };
    const result = parseRecord(Buffer.from(JSON.stringify({ data: newer })), ConsumedTaskEvent);
    expect(result).toEqual({ ok: true, value: event });
  });

  it("names a major schema version it does not read, apart from invalid records", () => {
    const result = parseRecord(
      Buffer.from(JSON.stringify({ data: { ...event, schema_version: 2 } })),
      ConsumedTaskEvent,
    );
    expect(result).toMatchObject({
      ok: false,
      problem: "unsupported schema version",
      issues: [{ path: "data.schema_version", message: "unsupported schema version 2 (this consumer reads 1)" }],
    });
  });
});
