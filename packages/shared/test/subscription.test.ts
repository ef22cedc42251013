import { describe, expect, it } from "vitest";
import { TaskEvent, parseDaprDelivery } from "../src/index.ts";

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

describe("parseDaprDelivery", () => {
  it("unwraps the record and validates its data", () => {
    const result = parseDaprDelivery(delivery(JSON.stringify({ specversion: "1.0", data: event })), TaskEvent);
    expect(result).toEqual({ ok: true, value: event });
  });

  it.each([
    ["a record that is not JSON", delivery("hello"), "record"],
    [
      "a record whose data is no task event",
      delivery(JSON.stringify({ data: { ...event, event_type: "Nope" } })),
      "data.event_type",
    ],
    ["a delivery without raw payload", JSON.stringify({ data: event }), "data_base64"],
  ])("refuses %s", (_name, body, path) => {
    const result = parseDaprDelivery(body, TaskEvent);
    expect(result.ok ? [] : result.issues.map((issue) => issue.path)).toContain(path);
  });
});
