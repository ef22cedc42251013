import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toStructuredCloudEvent, type TaskCreated } from "@todo/shared";
import { RUN_ID, taskPayload } from "../support/fixtures.ts";
import { consumerCaughtUp, produceRaw, stack, waitForTopic } from "../support/stack.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const dlq = (...args: string[]) =>
  execFileSync("node", ["--no-warnings", join(ROOT, "scripts", "dlq.ts"), ...args], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, STACK_DIR: stack().stackDir },
  });

describe("dead-letter replay", () => {
  const db = new pg.Client({ connectionString: stack().databaseUrl });
  beforeAll(() => db.connect());
  afterAll(() => db.end());

  it("lists a dead letter, refuses to replay it as it is, and replays the fixed record once", async () => {
    const taskId = `${RUN_ID}-replayed`;
    const event: TaskCreated = {
      event_id: `${taskId}-created`,
      event_type: "TaskCreated",
      schema_version: 1,
      timestamp: new Date().toISOString(),
      correlation_id: "replay",
      producer: "/chat",
      ...taskPayload(taskId),
    };
    const broken = { ...toStructuredCloudEvent(event), data: { ...event, schema_version: 7 } };
    await produceRaw("task-events", [{ key: taskId, value: JSON.stringify(broken) }]);
    const [dead] = await waitForTopic("task-events-dlq", (r) => r.key === taskId, {
      enough: (r) => r.length >= 1,
      timeoutMs: 15_000,
    });
    expect(dead).toBeDefined();
    const at = `${dead!.partition}:${dead!.offset}`;

    const listed = dlq("list");
    expect(listed).toContain(`${at}\tkey=${taskId}\tINVALID data.schema_version`);
    expect(listed).toMatch(
      new RegExp(
        `dead-lettered by schedule-reminder from task-events/\\d+@\\d+: unsupported schema version: data.schema_version`,
      ),
    );
    expect(() => dlq("replay", at)).toThrow(/still invalid/);

    const fixed = join(mkdtempSync(join(tmpdir(), "dlq-")), "fixed.json");
    writeFileSync(fixed, JSON.stringify(toStructuredCloudEvent(event)));
    expect(dlq("replay", at, "--fixed", fixed)).toContain(`replayed ${at}`);
    expect(dlq("replay", at, "--fixed", fixed)).toContain(`replayed ${at}`);

    const stored = async () =>
      (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM processed_events WHERE task_id = $1", [taskId]))
        .rows[0]!.n;
    // Both replays are on the topic (produce waits for the broker); once the consumer has processed
    // the topic to its end, the event was applied exactly once.
    await consumerCaughtUp();
    expect(await stored()).toBe(1);
    const reminder = await db.query("SELECT status, version FROM reminders WHERE task_id = $1", [taskId]);
    expect(reminder.rows).toEqual([{ status: "PENDING", version: 1 }]);
  });
});
