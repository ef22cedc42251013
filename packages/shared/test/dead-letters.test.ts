import { describe, expect, it } from "vitest";
import { DeadLetters, type RawPublishRequest } from "../src/index.ts";

describe("DeadLetters", () => {
  it("writes the record byte for byte, keyed as it was, with why and from where as headers", async () => {
    const sent: RawPublishRequest[] = [];
    const sidecar = {
      publishRaw: (request: RawPublishRequest) => (sent.push(request), Promise.resolve({ ok: true as const })),
    };
    const letters = new DeadLetters(sidecar, "kafka-deadletters", "task-events-dlq", "schedule-reminder");
    const record = Buffer.from([0xff, 0x00, 0x41]);
    await letters.send({ record, key: "k", origin: "task-events/0@7", traceparent: undefined }, "x".repeat(5000));
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
