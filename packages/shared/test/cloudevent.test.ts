import { describe, expect, it } from "vitest";
import { parseCloudEvent, toStructuredCloudEvent, type HttpMessage } from "../src/index.ts";
import { FIXTURES_NOW, binaryEvent, structuredEvent, taskPayload } from "../../../tests/support/fixtures.ts";
import { MINUTE, after } from "../../../tests/support/clock.ts";

const TASK_TYPES = ["TaskCreated", "TaskUpdated", "TaskDeleted"] as const;
/** The server receives the fixtures' events a few minutes after they were stamped. */
const NOW = after(FIXTURES_NOW, 3 * MINUTE);
const parse = (message: HttpMessage) => parseCloudEvent(message, TASK_TYPES, NOW);
const issuesOf = (message: HttpMessage) => {
  const result = parse(message);
  if (result.ok) throw new Error("expected a rejection");
  return result.issues;
};

describe("parseCloudEvent", () => {
  it("maps a binary-mode TaskCreated onto the envelope", () => {
    const payload = taskPayload("t-1");
    const result = parse(binaryEvent("TaskCreated", "evt-1", payload, { "ce-correlationid": "conv-7" }));
    expect(result).toEqual({
      ok: true,
      value: {
        traceparent: undefined,
        event: {
          event_id: "evt-1",
          event_type: "TaskCreated",
          schema_version: 1,
          timestamp: FIXTURES_NOW.toISOString(),
          correlation_id: "conv-7",
          producer: "/todo/chat-api",
          ...payload,
        },
      },
    });
  });

  it("accepts structured mode, with the body as text or already parsed", () => {
    const message = structuredEvent("TaskDeleted", "evt-2", { user_id: "u", task_id: "t-2" });
    for (const body of [message.body, Buffer.from(message.body), JSON.parse(message.body) as object]) {
      const result = parse({ headers: message.headers, body });
      expect(result.ok && result.value.event).toMatchObject({ event_id: "evt-2", event_type: "TaskDeleted" });
    }
  });

  it("uses the receive time when the producer sent no time, and the id as correlation id", () => {
    const message = structuredEvent("TaskDeleted", "evt-3", { user_id: "u", task_id: "t" }, { time: undefined });
    const result = parse(message);
    expect(result.ok && result.value.event).toMatchObject({
      timestamp: NOW.toISOString(),
      correlation_id: "evt-3",
    });
  });

  it("passes a valid W3C traceparent through and ignores a malformed one", () => {
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const good = parse(binaryEvent("TaskDeleted", "e", { user_id: "u", task_id: "t" }, { traceparent }));
    const bad = parse(binaryEvent("TaskDeleted", "e", { user_id: "u", task_id: "t" }, { traceparent: "nope" }));
    expect(good.ok && good.value.traceparent).toBe(traceparent);
    expect(bad.ok && bad.value.traceparent).toBeUndefined();
  });

  it.each([
    ["no CloudEvent at all", { headers: { "content-type": "application/json" }, body: "{}" }, "headers"],
    ["a structured event without id", structuredEvent("TaskDeleted", "x", {}, { id: undefined }), "id"],
    ["malformed structured JSON", { headers: { "content-type": "application/cloudevents+json" }, body: "{" }, "body"],
    ["a structured array", { headers: { "content-type": "application/cloudevents+json" }, body: "[]" }, "body"],
    ["an unknown type", binaryEvent("TaskDeleted", "x", {}, { "ce-type": "com.todo.task.archived.v1" }), "type"],
    ["a type this function does not take", binaryEvent("ReminderDue", "x", {}), "type"],
    ["a missing source", binaryEvent("TaskDeleted", "x", {}, { "ce-source": "" }), "cloudevent"],
    ["no data", { ...binaryEvent("TaskDeleted", "x", {}), body: "" }, "data"],
    ["non-JSON data", binaryEvent("TaskDeleted", "x", {}, { "content-type": "text/plain" }), "datacontenttype"],
    [
      "a subject other than the task",
      binaryEvent("TaskDeleted", "x", { user_id: "u", task_id: "t" }, { "ce-subject": "other" }),
      "subject",
    ],
  ])("rejects %s", (_name, message, path) => {
    expect(issuesOf(message).map((issue) => issue.path)).toContain(path);
  });

  it("names every invalid data field", () => {
    const issues = issuesOf(
      binaryEvent(
        "TaskCreated",
        "x",
        taskPayload("t", { title: "", priority: "urgent" as never, due_date: "tomorrow" }),
      ),
    );
    expect(issues.map((issue) => issue.path).sort()).toEqual([
      "data.task.due_date",
      "data.task.priority",
      "data.task.title",
    ]);
  });

  it("rejects a TaskUpdated without changes and one with unknown fields", () => {
    const empty = issuesOf(binaryEvent("TaskUpdated", "x", { user_id: "u", task_id: "t", changes: {} }));
    const unknown = issuesOf(
      binaryEvent("TaskUpdated", "x", { user_id: "u", task_id: "t", changes: { colour: "red" } }),
    );
    expect(empty[0]?.message).toMatch(/at least one field/);
    expect(unknown[0]?.message).toMatch(/colour/);
  });
});

describe("toStructuredCloudEvent", () => {
  it("mirrors the envelope in the CloudEvent attributes", () => {
    const parsed = parse(binaryEvent("TaskCreated", "evt-9", taskPayload("t-9")));
    if (!parsed.ok) throw new Error("fixture is invalid");
    expect(toStructuredCloudEvent(parsed.value.event)).toEqual({
      specversion: "1.0",
      id: "evt-9",
      source: "/todo/chat-api",
      type: "com.todo.task.created.v1",
      subject: "t-9",
      time: FIXTURES_NOW.toISOString(),
      datacontenttype: "application/json",
      correlationid: "evt-9",
      data: parsed.value.event,
    });
  });
});

describe("parseCloudEvent spec version", () => {
  it.each(["0.3", "2.0", undefined])("rejects specversion %s", (specversion) => {
    const message = structuredEvent("TaskDeleted", "x", { user_id: "u", task_id: "t" }, { specversion });
    expect(issuesOf(message).map((issue) => issue.path)).toContain("specversion");
  });
});

describe("parseCloudEvent nesting limit", () => {
  it("refuses documents nested deeper than any event, without running out of stack", () => {
    const deep = JSON.parse(`${"[".repeat(50_000)}${"]".repeat(50_000)}`) as unknown;
    const message = { headers: binaryEvent("TaskDeleted", "x", {}).headers, body: deep };
    expect(issuesOf(message).map((issue) => issue.message)).toEqual(["JSON nested deeper than 32 levels"]);
  });

  it("accepts the nesting real events have", () => {
    expect(parse(binaryEvent("TaskCreated", "x", taskPayload("t"))).ok).toBe(true);
  });
});
