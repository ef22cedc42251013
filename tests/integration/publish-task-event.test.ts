import { afterAll, describe, expect, it } from "vitest";
import {
  FIXTURES_NOW,
  RUN_ID,
  binaryEvent,
  structuredEvent,
  taskPayload,
  withoutHeader,
  type CloudEventRequest,
} from "../support/fixtures.ts";
import { DAY, isoFromNow } from "../support/clock.ts";
import { cloudEventId, post, readTopicToEnd, stack, stackCtl, type TopicRecord } from "../support/stack.ts";

const ours = (prefix: string) => (record: TopicRecord) => cloudEventId(record).startsWith(`${RUN_ID}-${prefix}`);
const id = (name: string) => `${RUN_ID}-${name}`;

describe("publish-task-event through a real daprd into Kafka", () => {
  it("publishes each event with its CloudEvent attributes, keyed by task id, in order per task", async () => {
    // Three tasks, interleaved: created, updated twice, deleted; alternately binary and structured.
    const sent: { request: CloudEventRequest; eventId: string; taskId: string; type: string }[] = [];
    for (let step = 0; step < 4; step++) {
      for (const task of ["a", "b", "c"]) {
        const taskId = `${RUN_ID}-task-${task}`;
        const eventId = id(`order-${task}-${step}`);
        const encode = step % 2 === 0 ? binaryEvent : structuredEvent;
        const request =
          step === 0
            ? encode("TaskCreated", eventId, taskPayload(taskId))
            : step === 3
              ? encode("TaskDeleted", eventId, { user_id: "user-1", task_id: taskId })
              : encode("TaskUpdated", eventId, { user_id: "user-1", task_id: taskId, changes: { title: `v${step}` } });
        sent.push({ request, eventId, taskId, type: JSON.stringify(request).match(/com\.todo\.task\.\w+\.v1/)![0] });
      }
    }
    for (const { request, eventId } of sent) {
      const answer = await post("publish-task-event", request);
      expect(answer.status, JSON.stringify(answer.body)).toBe(202);
      expect(answer.body["event_id"]).toBe(eventId);
    }

    // A 202 means the broker stored the event: a read to the topic's end sees every one.
    const records = await readTopicToEnd("task-events", ours("order-"));
    expect(records).toHaveLength(sent.length);
    for (const { eventId, taskId, type } of sent) {
      const record = records.find((r) => cloudEventId(r) === eventId)!;
      expect(record.key).toBe(taskId);
      expect(record.value).toMatchObject({
        specversion: "1.0",
        id: eventId,
        source: "/todo/chat-api",
        type,
        subject: taskId,
        time: FIXTURES_NOW.toISOString(),
        datacontenttype: "application/json",
        data: { event_id: eventId, schema_version: 1, producer: "/todo/chat-api", user_id: "user-1" },
      });
    }
    // Per task: one partition, and offsets in the order the events were sent.
    for (const task of ["a", "b", "c"]) {
      const mine = sent
        .filter((s) => s.taskId.endsWith(`task-${task}`))
        .map((s) => records.find((r) => cloudEventId(r) === s.eventId)!);
      expect(new Set(mine.map((r) => r.partition)).size).toBe(1);
      expect(mine.map((r) => r.offset)).toEqual([...mine.map((r) => r.offset)].sort((x, y) => x - y));
    }
    // TaskUpdated also goes to task-updates.
    const updates = await readTopicToEnd("task-updates", ours("order-"));
    expect(updates.map(cloudEventId).sort()).toEqual(
      sent
        .filter((s) => s.type.includes("updated"))
        .map((s) => s.eventId)
        .sort(),
    );
  });

  it("carries the W3C trace context into the Kafka message", async () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const request = binaryEvent(
      "TaskDeleted",
      id("trace"),
      { user_id: "u", task_id: "t-trace" },
      {
        traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
      },
    );
    expect((await post("publish-task-event", request)).status).toBe(202);
    const [record] = await readTopicToEnd("task-events", ours("trace"));
    expect(record?.value["traceparent"]).toContain(traceId);
  });

  it("gives a retried request the same event_id", async () => {
    const request = binaryEvent("TaskDeleted", id("retry"), { user_id: "u", task_id: "t-retry" });
    const first = await post("publish-task-event", request);
    const second = await post("publish-task-event", request);
    expect([first.status, second.status]).toEqual([202, 202]);
    expect(second.body["event_id"]).toBe(first.body["event_id"]);
  });
});

describe("publish-task-event refuses bad input with a 4xx and publishes nothing", () => {
  const valid = (name: string) => binaryEvent("TaskDeleted", id(`bad-${name}`), { user_id: "u", task_id: "t" });
  const withHeaders = (name: string, headers: Record<string, string>) => ({
    ...valid(name),
    headers: { ...valid(name).headers, ...headers },
  });
  const cases: [string, CloudEventRequest, number, { authenticated?: boolean; method?: string }?][] = [
    ["malformed JSON", { ...valid("json"), body: '{"user_id":' }, 400],
    ["a wrong field type", binaryEvent("TaskDeleted", id("bad-type"), { user_id: 7, task_id: "t" }), 400],
    ["a missing ce-source", { ...valid("source"), headers: { ...valid("source").headers, "ce-source": "" } }, 400],
    ["no ce-source header at all", withoutHeader(valid("nosource"), "ce-source"), 400],
    ["a wrong specversion", { ...valid("spec"), headers: { ...valid("spec").headers, "ce-specversion": "0.1" } }, 400],
    [
      "an unknown event type",
      binaryEvent("TaskDeleted", id("bad-unknown"), {}, { "ce-type": "com.todo.task.archived.v1" }),
      400,
    ],
    [
      "a structured event without id",
      structuredEvent("TaskDeleted", "", { user_id: "u", task_id: "t" }, { id: undefined }),
      400,
    ],
    ["a plain JSON request", { headers: { "content-type": "application/json" }, body: "{}" }, 400],
    [
      "an oversized body",
      binaryEvent("TaskCreated", id("bad-huge"), taskPayload("t", { description: "x".repeat(2_000_000) })),
      413,
    ],
    // What the consumers refuse is refused here too (the same schema): never accepted, then dropped.
    ["a CloudEvent id over 256 characters", withHeaders("id", { "ce-id": id(`bad-long-${"i".repeat(260)}`) }), 400],
    ["a source over 512 characters", withHeaders("longsource", { "ce-source": `/${"s".repeat(600)}` }), 400],
    [
      "a NUL character in user_id (PostgreSQL cannot store it)",
      binaryEvent("TaskDeleted", id("bad-nul"), { user_id: "u\u0000x", task_id: "t" }),
      400,
    ],
    [
      "a lone surrogate in a title (not well-formed Unicode)",
      binaryEvent("TaskCreated", id("bad-surrogate"), taskPayload("t", { title: "milk \ud800" })),
      400,
    ],
    // The HTTP binding's batch mode: refused with 415 and the reason, not a 500 from the runtime.
    [
      "batch mode",
      { headers: { "content-type": "application/cloudevents-batch+json" }, body: JSON.stringify([{}]) },
      415,
    ],
    [
      "a time without an offset",
      withHeaders("nooffset", { "ce-time": FIXTURES_NOW.toISOString().replace(/\.\d+Z$/, "") }),
      400,
    ],
    ["a time a day ahead of the server's clock", withHeaders("future", { "ce-time": isoFromNow(DAY) }), 400],
    ["no bearer token", valid("noauth"), 401, { authenticated: false }],
    ["a wrong bearer token", withHeaders("wrongauth", { authorization: "Bearer not-the-token-at-all" }), 401],
    ["a GET", { headers: {}, body: "" }, 405, { method: "GET" }],
  ];

  it.each(cases)("%s", async (_name, request, status, options) => {
    const answer = await post("publish-task-event", request, options);
    expect(answer.status).toBe(status);
    expect(JSON.stringify(answer.body).length).toBeGreaterThan(20); // says what was wrong
  });

  it("none of them reached the topic", async () => {
    const marker = binaryEvent("TaskDeleted", id("bad-marker"), { user_id: "u", task_id: "t" });
    expect((await post("publish-task-event", marker)).status).toBe(202);
    const records = await readTopicToEnd("task-events", ours("bad-"));
    expect(records.map(cloudEventId)).toEqual([id("bad-marker")]);
  });
});

describe("publish-task-event when Dapr or the broker is down", () => {
  afterAll(async () => {
    await stackCtl("start", "kafka");
    await stackCtl("start", "publish-task-event-dapr");
  });

  it("answers 503 with Retry-After while its daprd is down (and stays ready: the daprd is not part of its readiness)", async () => {
    await stackCtl("kill", "publish-task-event-dapr");
    const answer = await post(
      "publish-task-event",
      binaryEvent("TaskDeleted", id("nodapr"), { user_id: "u", task_id: "t" }),
    );
    expect(answer.status).toBe(503);
    expect(answer.headers.get("retry-after")).toBe("1");
    const readiness = await fetch(`${stack().functions["publish-task-event"].url}/health/readiness`);
    expect(readiness.status).toBe(200);
    await stackCtl("start", "publish-task-event-dapr");
  });

  it("answers 503 while Kafka is down, and accepts again once it is back", async () => {
    await stackCtl("kill", "kafka");
    const down = await post(
      "publish-task-event",
      binaryEvent("TaskDeleted", id("nokafka"), { user_id: "u", task_id: "t" }),
    );
    expect(down.status).toBe(503);
    await stackCtl("start", "kafka");
    const back = binaryEvent("TaskDeleted", id("kafka-back"), { user_id: "u", task_id: "t" });
    let answer = await post("publish-task-event", back);
    for (let attempt = 0; answer.status === 503 && attempt < 30; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      answer = await post("publish-task-event", back);
    }
    expect(answer.status).toBe(202);
    const records = await readTopicToEnd("task-events", ours("kafka-back"));
    expect(records.length).toBeGreaterThanOrEqual(1);
  });
});
