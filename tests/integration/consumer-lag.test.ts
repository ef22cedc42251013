import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTask, newTask } from "../support/reminders.ts";
import { consumerCaughtUp, sleep, stack, stackCtl } from "../support/stack.ts";

const PORT = 19308;

/** The exporter's value of kafka_consumergroup_lag for a group on a topic, summed over partitions. */
async function lagOf(group: string, topic: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${PORT}/metrics`)).text();
  return text
    .split("\n")
    .filter((line) => line.startsWith("kafka_consumergroup_lag{") && line.includes(`consumergroup="${group}"`))
    .filter((line) => line.includes(`topic="${topic}"`))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(" ") + 1)), 0);
}

/**
 * Consumer lag per group and partition from packages/kafka-lag-exporter, against the stack's
 * Kafka: nothing behind once schedule-reminder caught up; the events posted while its daprd (the
 * consumer) is down show as lag; none again once it is back.
 */
describe("consumer lag per group and partition", () => {
  let exporter: ChildProcess;
  beforeAll(async () => {
    exporter = spawn(
      process.execPath,
      [join(import.meta.dirname, "..", "..", "packages", "kafka-lag-exporter", "src", "index.ts")],
      {
        env: {
          ...process.env,
          KAFKA_BROKERS: stack().kafka,
          LAG_GROUPS: "schedule-reminder",
          LAG_TOPICS: "task-events",
          PORT: String(PORT),
        },
        stdio: "ignore",
      },
    );
    for (let i = 0; i < 50; i++) {
      if ((await fetch(`http://127.0.0.1:${PORT}/healthz`).catch(() => undefined))?.ok) return;
      await sleep(100);
    }
  });
  afterAll(async () => {
    exporter.kill("SIGTERM");
    await stackCtl("start", "schedule-reminder-dapr");
  });

  it("shows the records the consumer has not processed, per partition, and none once it caught up", async () => {
    await consumerCaughtUp();
    expect(await lagOf("schedule-reminder", "task-events")).toBe(0);

    await stackCtl("stop", "schedule-reminder-dapr");
    for (let i = 0; i < 5; i++) {
      const { taskId, eventId } = newTask(`lag-${i}`);
      await createTask(taskId, eventId("created"), null);
    }
    expect(await lagOf("schedule-reminder", "task-events")).toBe(5);

    await stackCtl("start", "schedule-reminder-dapr");
    await consumerCaughtUp();
    expect(await lagOf("schedule-reminder", "task-events")).toBe(0);
  });
});
