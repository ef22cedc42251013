import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CLOUDEVENT_TYPE, Payload, Timestamp } from "@todo/shared";
import { RUN_ID, taskPayload, type CloudEventRequest } from "../support/fixtures.ts";
import { cloudEventId, post, readTopicToEnd } from "../support/stack.ts";

/**
 * Property-based: hundreds of generated malformed requests at publish-task-event. Every answer is
 * a 4xx with a reason, never a 5xx, and nothing invalid reaches a topic. (Malformed records at
 * the consumers: consumer-poison.test.ts.)
 */
const RUNS_PER_KIND = 90;
let sent = 0;
const nextId = () => `${RUN_ID}-fuzz-${++sent}`;

const validHeaders = (id: string): Record<string, string> => ({
  "content-type": "application/json",
  "ce-specversion": "1.0",
  "ce-id": id,
  "ce-source": "/todo/chat-api",
  "ce-type": CLOUDEVENT_TYPE.TaskCreated,
});
const validData = (id: string) => taskPayload(id) as unknown as Record<string, unknown>;
const injection = fc.constantFrom(
  "'; DROP TABLE reminders; --",
  "<script>alert(1)</script>",
  "${jndi:ldap://127.0.0.1/a}",
  "../../etc/passwd",
  "\u0000",
  "%00%0d%0a",
  "{{7*7}}",
);

/** Each arbitrary makes one kind of malformed request. */
const malformed: Record<string, fc.Arbitrary<CloudEventRequest>> = {
  "broken JSON": fc
    .string({ minLength: 1 })
    .filter((text) => {
      try {
        JSON.parse(text);
        return false;
      } catch {
        return true;
      }
    })
    .chain((body) =>
      fc.constantFrom<CloudEventRequest>(
        { headers: validHeaders(nextId()), body },
        { headers: { "content-type": "application/cloudevents+json" }, body },
      ),
    ),
  "missing or wrong CloudEvent attributes": fc
    .record({
      drop: fc.subarray(["ce-id", "ce-source", "ce-type", "ce-specversion"], { minLength: 1 }),
      specversion: fc.oneof(fc.constant(undefined), fc.string(), fc.constantFrom("0.3", "2.0", "1")),
    })
    .map(({ drop, specversion }) => {
      const headers = validHeaders(nextId());
      if (specversion !== undefined && !drop.includes("ce-specversion")) headers["ce-specversion"] = specversion;
      for (const name of drop) headers[name] = name === "ce-specversion" && specversion === "1.0" ? "0.3" : "";
      return { headers, body: JSON.stringify(validData("t")) };
    }),
  "wrong types": fc
    .record({
      field: fc.constantFrom(
        "user_id",
        "task",
        "task.id",
        "task.title",
        "task.completed",
        "task.priority",
        "task.tags",
        "task.due_date",
      ),
      value: fc.oneof(
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.array(fc.integer()),
        fc.object({ maxDepth: 1 }),
      ),
    })
    .map(({ field, value }) => {
      const data = validData(`t-${sent}`);
      const [head, tail] = field.split(".") as [string, string | undefined];
      if (tail === undefined) data[head] = value;
      else (data[head] as Record<string, unknown>)[tail] = value;
      return data;
    })
    // Some generated values happen to be of the right type (a boolean for `completed`): skip those.
    .filter((data) => !Payload.TaskCreated.safeParse(data).success)
    .map((data) => ({ headers: validHeaders(nextId()), body: JSON.stringify(data) })),
  "huge or deeply nested": fc.oneof(
    fc.integer({ min: 1_100_000, max: 1_500_000 }).map((size) => ({
      headers: validHeaders(nextId()),
      body: JSON.stringify({ ...validData("t"), padding: "x".repeat(size) }),
    })),
    fc.integer({ min: 100, max: 20_000 }).map((depth) => ({
      headers: validHeaders(nextId()),
      body: `${"[".repeat(depth)}${"]".repeat(depth)}`,
    })),
    fc.integer({ min: 100, max: 5_000 }).map((depth) => ({
      headers: validHeaders(nextId()),
      body: `{"user_id":"u","task":${'{"a":'.repeat(depth)}1${"}".repeat(depth)}}`,
    })),
  ),
  // Text a consumer could not store: NUL (PostgreSQL refuses it) or a lone surrogate (it would
  // be silently replaced), in any text field.
  "text PostgreSQL cannot store": fc
    .tuple(
      fc.constantFrom("user_id", "task.title", "task.description", "task.tags"),
      fc.constantFrom("\u0000", "a\u0000b", "\ud800", "x\udfffy"),
    )
    .map(([field, text]) => {
      const data = validData(`t-${sent}`);
      const task = data["task"] as Record<string, unknown>;
      if (field === "user_id") data["user_id"] = text;
      else if (field === "task.tags") task["tags"] = [text];
      else task[field.slice(5)] = `milk ${text}`;
      return { headers: validHeaders(nextId()), body: JSON.stringify(data) };
    }),
  // The envelope is checked with the consumers' own schema: beyond its limits is refused here.
  "envelope beyond the consumers' limits": fc
    .tuple(fc.constantFrom("ce-id", "ce-source", "ce-correlationid"), fc.integer({ min: 513, max: 4000 }))
    .map(([header, length]) => ({
      headers: {
        ...validHeaders(nextId()),
        [header]: `${header === "ce-id" ? `${RUN_ID}-fuzz-` : "/"}${"x".repeat(length)}`,
      },
      body: JSON.stringify(validData(`t-${sent}`)),
    })),
  "unknown event types": fc.string().map((type) => ({
    headers: { ...validHeaders(nextId()), "ce-type": `com.todo.${type}` },
    body: JSON.stringify(validData("t")),
  })),
  "bad dates": fc
    .tuple(
      fc.oneof(
        fc.string(),
        // Malformed on any day: no clock can make them valid.
        // eslint-disable-next-line no-restricted-syntax
        fc.constantFrom("2026-13-01T00:00:00Z", "2026-02-30T10:00:00Z", "yesterday", "2026-11-25", "1700000000"),
      ),
      fc.constantFrom("due_date", "reminder_time", "created_at"),
    )
    .filter(([date]) => !Timestamp.safeParse(date).success)
    .map(([date, field]) => {
      const data = validData(`t-${sent}`);
      (data["task"] as Record<string, unknown>)[field] = date;
      return { headers: validHeaders(nextId()), body: JSON.stringify(data) };
    }),
  "injection strings in identifiers": fc
    .tuple(injection, fc.constantFrom("task.id", "ce-type"))
    // An HTTP client cannot even send control characters in a header.
    .filter(([text, where]) => where === "task.id" || Array.from(text).every((c) => c >= " "))
    .map(([text, where]) => {
      const data = validData(`t-${sent}`);
      if (where === "task.id") (data["task"] as Record<string, unknown>)["id"] = text;
      return {
        headers: where === "ce-type" ? { ...validHeaders(nextId()), "ce-type": text } : validHeaders(nextId()),
        body: JSON.stringify(data),
      };
    }),
};

describe("publish-task-event under generated malformed requests", () => {
  const answers: number[] = [];

  it.each(Object.keys(malformed))("%s: always a 4xx with a reason", async (kind) => {
    await fc.assert(
      fc.asyncProperty(malformed[kind]!, async (request) => {
        const answer = await post("publish-task-event", request);
        answers.push(answer.status);
        expect(answer.status, JSON.stringify(answer.body)).toBeGreaterThanOrEqual(400);
        expect(answer.status).toBeLessThan(500);
        expect(JSON.stringify(answer.body)).toMatch(/\w{4,}/);
      }),
      { numRuns: RUNS_PER_KIND },
    );
  });

  it("threw at least 500 requests, and none of them reached a topic", async () => {
    expect(answers.length).toBeGreaterThanOrEqual(500);
    // Read to the topic's end as it stands after every answer: an accepted event would be there.
    const leaked = await readTopicToEnd("task-events", (record) => cloudEventId(record).startsWith(`${RUN_ID}-fuzz-`));
    expect(leaked).toEqual([]);
  });
});
