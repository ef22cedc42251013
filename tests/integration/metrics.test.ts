import { describe, expect, it } from "vitest";
import { binaryEvent } from "../support/fixtures.ts";
import { createTask, inMs, newTask, remindersAfter } from "../support/reminders.ts";
import { consumerCaughtUp, functionMetric, post, produceRaw, stack } from "../support/stack.ts";

const metric = functionMetric;

describe("each function's /metrics (Prometheus, beside the runtime's own)", () => {
  it("counts events accepted and refused, publish latency, deliveries by outcome, dead letters, reminders fired and their lateness", async () => {
    const before = {
      accepted: await metric("publish-task-event", "todo_events_accepted_total", { type: "TaskCreated" }),
      refused: await metric("publish-task-event", "todo_requests_refused_total", { status: "400", reason: "data" }),
      published: await metric("publish-task-event", "todo_publish_duration_seconds_count"),
      success: await metric("schedule-reminder", "todo_deliveries_total", { outcome: "SUCCESS" }),
      dead: await metric("schedule-reminder", "todo_dead_letters_total", { kind: "invalid" }),
      fired: await metric("emit-reminder", "todo_reminders_fired_total"),
      lateness: await metric("emit-reminder", "todo_reminder_lateness_seconds_count"),
    };
    const { taskId, eventId } = newTask("metrics");
    const remindAt = inMs(2500);
    await createTask(taskId, eventId("created"), remindAt);
    expect((await post("publish-task-event", binaryEvent("TaskDeleted", eventId("bad"), { user_id: 7 }))).status).toBe(
      400,
    );
    await produceRaw("task-events", [{ key: taskId, value: "poison for the metrics" }]);
    expect(await remindersAfter(taskId, Date.parse(remindAt) + 3000)).toHaveLength(1);
    await consumerCaughtUp();

    expect(await metric("publish-task-event", "todo_events_accepted_total", { type: "TaskCreated" })).toBe(
      before.accepted + 1,
    );
    expect(await metric("publish-task-event", "todo_requests_refused_total", { status: "400", reason: "data" })).toBe(
      before.refused + 1,
    );
    expect(await metric("publish-task-event", "todo_publish_duration_seconds_count")).toBe(before.published + 1);
    expect(await metric("schedule-reminder", "todo_deliveries_total", { outcome: "SUCCESS" })).toBeGreaterThanOrEqual(
      before.success + 2,
    );
    expect(await metric("schedule-reminder", "todo_dead_letters_total", { kind: "invalid" })).toBe(before.dead + 1);
    expect(await metric("emit-reminder", "todo_reminders_fired_total")).toBe(before.fired + 1);
    expect(await metric("emit-reminder", "todo_reminder_lateness_seconds_count")).toBe(before.lateness + 1);
    // The runtime's own series are still there, with its labels on ours too.
    const text = await (await fetch(`${stack().functions["emit-reminder"].url}/metrics`)).text();
    expect(text).toContain("faas_invocations");
    expect(text).toMatch(/todo_reminders_fired_total\{faas_name="[^"]+"/);
    // A stalled partition shows on schedule-reminder: nothing is being retried now.
    expect(await metric("schedule-reminder", "todo_oldest_retrying_record_seconds")).toBe(0);
  });
});
