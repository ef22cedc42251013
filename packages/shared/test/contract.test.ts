import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CLOUDEVENT_TYPE,
  ConsumedTaskEvent,
  parseCloudEvent,
  parseRecord,
  toStructuredCloudEvent,
} from "../src/index.ts";
import { DAY, after, fromNow } from "../../../tests/support/clock.ts";

/**
 * One contract at both ends: whatever publish-task-event accepts, the consumers accept - the
 * very record publish-task-event publishes parses, with the consumers' schema, into the same event.
 */
const NOW = fromNow();
const TASK_TYPES = ["TaskCreated", "TaskUpdated", "TaskDeleted"] as const;

/** Mostly what a client would send, sometimes the edge of the contract or beyond it. */
const mostly = <T>(usual: fc.Arbitrary<T>, edge: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: usual, weight: 12 }, { arbitrary: edge, weight: 1 });
/** Text of every kind: NUL, lone surrogates, very long, blank, padded. */
const text = mostly(
  fc.string({ minLength: 1, maxLength: 20 }).filter((value) => value.trim().length > 0),
  fc.oneof(
    fc.string({ unit: "binary", maxLength: 20 }),
    fc.constantFrom(
      "",
      " ",
      " padded ",
      "u\u0000x",
      "\ud800",
      "\ud83d\ude00",
      "x".repeat(256),
      "x".repeat(257),
      "y".repeat(513),
      "é",
    ),
  ),
);
const time = mostly(
  fc
    .date({ noInvalidDate: true, min: after(NOW, -9000 * DAY), max: after(NOW, 1500 * DAY) })
    .map((date) => date.toISOString()),
  fc.oneof(
    fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
    // Formats at and beyond the edge of the contract (no offset, nanoseconds, years out of range):
    // the property holds whatever the clock says, so these need not move with it.
    /* eslint-disable no-restricted-syntax */
    fc.constantFrom(
      "2026-11-25T10:00:00",
      "2026-11-25T10:00:00+02:00",
      "2026-11-25T10:00:00.123456789-11:30",
      "0999-12-31T23:59:59Z",
      "1000-01-01T00:00:00Z",
      "9999-12-31T23:59:59.999Z",
      "2999-01-01T00:00:00Z",
      "yesterday",
    ),
    /* eslint-enable no-restricted-syntax */
  ),
);
const taskId = mostly(fc.constantFrom("t-1", "T.2:x_y", "0abc"), fc.oneof(fc.constantFrom("bad id", "", "-x"), text));
const task = fc.record({
  id: taskId,
  title: text,
  description: fc.oneof(text, fc.constant(null)),
  completed: fc.boolean(),
  priority: mostly(fc.constantFrom("low", "medium", "high"), fc.constant("urgent")),
  tags: fc.array(text, { maxLength: 3 }),
  due_date: fc.oneof(time, fc.constant(null)),
  reminder_time: fc.oneof(time, fc.constant(null)),
  created_at: time,
  updated_at: time,
});
const data = fc.oneof(
  fc.record({ user_id: text, task }),
  fc.record({
    user_id: text,
    task_id: taskId,
    changes: fc.record(
      { title: text, completed: fc.boolean(), reminder_time: fc.oneof(time, fc.constant(null)) },
      { requiredKeys: [] },
    ),
  }),
  fc.record({ user_id: text, task_id: taskId }),
);
const attributes = fc.record({
  id: text,
  source: text,
  type: fc.constantFrom(...TASK_TYPES.map((t) => CLOUDEVENT_TYPE[t])),
  time: fc.option(time, { nil: undefined }),
  correlationid: fc.option(text, { nil: undefined }),
  subject: mostly(fc.constant(undefined), taskId),
});

describe("accepted by publish-task-event implies accepted by the consumers", () => {
  // 5 000 generated events: about a second alone, several on a busy machine (no time is asserted).
  it(
    "every event publish-task-event accepts is accepted, unchanged, by the consumers' schema",
    { timeout: 60_000 },
    () => {
      let accepted = 0;
      fc.assert(
        fc.property(attributes, data, fc.boolean(), (ce, payload, structured) => {
          const defined = Object.fromEntries(Object.entries(ce).filter(([, value]) => value !== undefined));
          const message = structured
            ? {
                headers: { "content-type": "application/cloudevents+json" },
                body: JSON.stringify({ specversion: "1.0", ...defined, data: payload }),
              }
            : {
                headers: {
                  "content-type": "application/json",
                  "ce-specversion": "1.0",
                  ...Object.fromEntries(Object.entries(defined).map(([name, value]) => [`ce-${name}`, value])),
                },
                body: payload,
              };
          const entry = parseCloudEvent(message, TASK_TYPES, NOW);
          if (!entry.ok) return;
          accepted++;
          const record = Buffer.from(JSON.stringify(toStructuredCloudEvent(entry.value.event)));
          expect(parseRecord(record, ConsumedTaskEvent)).toEqual({ ok: true, value: entry.value.event });
        }),
        { numRuns: 5000 },
      );
      // The generators must reach both sides of publish-task-event's checks, or the property says nothing.
      expect(accepted).toBeGreaterThan(300);
    },
  );
});
