import { describe, expect, it } from "vitest";
import { planPublishes, publishEvent, type SidecarOutcome, type PublishRequest, type TaskEvent } from "../src/index.ts";
import { isoFromNow } from "../../../tests/support/clock.ts";

const base = {
  schema_version: 1 as const,
  timestamp: isoFromNow(),
  correlation_id: "c",
  producer: "/chat",
  user_id: "u",
};
const updated: TaskEvent = {
  ...base,
  event_id: "e1",
  event_type: "TaskUpdated",
  task_id: "t-1",
  changes: { title: "x" },
};
const deleted: TaskEvent = { ...base, event_id: "e2", event_type: "TaskDeleted", task_id: "t-2" };

/** Records publishes and answers with the outcomes it was given, in order. */
function fakePublisher(...outcomes: SidecarOutcome[]) {
  const published: PublishRequest[] = [];
  return {
    published,
    publish: (request: PublishRequest) => {
      published.push(request);
      return Promise.resolve(outcomes.shift() ?? { ok: true as const });
    },
  };
}

describe("planPublishes", () => {
  it("sends TaskUpdated to task-events and task-updates, keyed by task id", () => {
    const plan = planPublishes(updated, "kafka-pubsub", "tp");
    expect(plan.map((p) => [p.topic, p.partitionKey, p.pubsub, p.traceparent])).toEqual([
      ["task-events", "t-1", "kafka-pubsub", "tp"],
      ["task-updates", "t-1", "kafka-pubsub", "tp"],
    ]);
  });

  it("sends the other task events to task-events only", () => {
    expect(planPublishes(deleted, "p").map((p) => p.topic)).toEqual(["task-events"]);
  });
});

describe("publishEvent", () => {
  it("reports every topic when all publishes succeed", async () => {
    expect(await publishEvent(fakePublisher(), updated, "p")).toEqual({
      ok: true,
      topics: ["task-events", "task-updates"],
    });
  });

  it("stops at the first failure and says what was already published", async () => {
    const publisher = fakePublisher({ ok: true }, { ok: false, retryable: true, reason: "broker down" });
    const outcome = await publishEvent(publisher, updated, "p");
    expect(outcome).toEqual({ ok: false, retryable: true, reason: "broker down", topics: ["task-events"] });
  });

  it("does not try the next topic after a failure", async () => {
    const publisher = fakePublisher({ ok: false, retryable: false, reason: "no such pubsub" });
    await publishEvent(publisher, updated, "p");
    expect(publisher.published).toHaveLength(1);
  });
});
