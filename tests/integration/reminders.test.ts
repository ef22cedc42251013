import { describe, expect, it } from "vitest";
import { binaryEvent, taskPayload, type CloudEventRequest } from "../support/fixtures.ts";
import {
  countCopies,
  createTask,
  deleteTask,
  inMs,
  newTask,
  remindersAfter,
  updateTask,
} from "../support/reminders.ts";
import { cloudEventId, post, produceRaw, readTopicToEnd, waitForTopic } from "../support/stack.ts";
import type { EventType } from "@todo/shared";

/** Reads are complete: each waits until the reminder time plus this, then reads `reminders` to its end. */
const SETTLE_MS = 3_000;
const settled = (remindAt: string) => Date.parse(remindAt) + SETTLE_MS;

/** A producer whose clock runs `skewMs` ahead of (or, negative, behind) the real time. */
const skewedClock =
  (skewMs: number) =>
  (type: EventType, eventId: string, data: unknown): CloudEventRequest =>
    binaryEvent(type, eventId, data, { "ce-time": new Date(Date.now() + skewMs).toISOString() });

// Scenarios run side by side: each waits for its reminder time, on its own task.
describe.concurrent(
  "reminders end to end: publish-task-event -> Kafka -> schedule-reminder -> Dapr job -> emit-reminder",
  () => {
    it("fires exactly one ReminderDue within 1 s of the reminder time", async () => {
      const { taskId, eventId } = newTask("fires");
      const remindAt = inMs(4000);
      await createTask(taskId, eventId("created"), remindAt);
      const records = await remindersAfter(taskId, settled(remindAt));
      expect(records).toHaveLength(1);
      const record = records[0]!;
      expect(record.value).toMatchObject({
        type: "com.todo.reminder.due.v1",
        subject: taskId,
        source: "/todo/emit-reminder",
      });
      expect(record.value["data"]).toMatchObject({
        event_type: "ReminderDue",
        task_id: taskId,
        reminder_time: remindAt,
        user_id: "user-1",
      });
      const lateness = record.timestamp - Date.parse(remindAt);
      expect(lateness).toBeGreaterThanOrEqual(0);
      expect(lateness).toBeLessThan(1000);
    });

    it("moves a rescheduled reminder: one ReminderDue, at the new time", async () => {
      const { taskId, eventId } = newTask("moved");
      await createTask(taskId, eventId("created"), inMs(3000));
      const movedTo = inMs(5000);
      await updateTask(taskId, eventId("moved"), { reminder_time: movedTo });
      const records = await remindersAfter(taskId, settled(movedTo));
      expect(records.map((r) => (r.value["data"] as Record<string, unknown>)["reminder_time"])).toEqual([movedTo]);
      expect((records[0]?.value["data"] as Record<string, unknown>)["event_id"]).toBe(`reminder-${taskId}-v2`);
    });

    it("cancels on TaskDeleted: nothing on reminders", async () => {
      const { taskId, eventId } = newTask("deleted");
      const remindAt = inMs(3000);
      await createTask(taskId, eventId("created"), remindAt);
      await deleteTask(taskId, eventId("deleted"));
      expect(await remindersAfter(taskId, settled(remindAt))).toEqual([]);
    });

    it("cancels when the task is completed: nothing on reminders", async () => {
      const { taskId, eventId } = newTask("completed");
      const remindAt = inMs(3000);
      await createTask(taskId, eventId("created"), remindAt);
      await updateTask(taskId, eventId("done"), { completed: true });
      expect(await remindersAfter(taskId, settled(remindAt))).toEqual([]);
    });

    it("keeps one reminder when the same event is posted twice", async () => {
      const { taskId, eventId } = newTask("twice");
      const id = eventId("created");
      const remindAt = inMs(3000);
      await createTask(taskId, id, remindAt);
      await createTask(taskId, id, remindAt);
      const records = await remindersAfter(taskId, settled(remindAt));
      expect(countCopies(records)).toEqual({ events: 1, duplicateCopies: 0, conflictingCopies: 0 });
    });

    it("fires a reminder whose time has already passed, promptly and once", async () => {
      const { taskId, eventId } = newTask("past");
      const posted = Date.now();
      await createTask(taskId, eventId("created"), new Date(posted - 60_000).toISOString());
      const records = await remindersAfter(taskId, posted + SETTLE_MS);
      expect(records).toHaveLength(1);
      expect(records[0]!.timestamp - posted).toBeLessThan(2000);
    });

    it("sends a poison message to the dead-letter topic, with the reason, while later events on its partition still flow", async () => {
      const { taskId, eventId } = newTask("poison");
      // Same key as the next valid event: same partition, right in front of it.
      await produceRaw("task-events", [
        { key: taskId, value: "this is not a CloudEvent" },
        {
          key: taskId,
          value: JSON.stringify({ specversion: "1.0", id: `${taskId}-bad`, data: { event_type: "TaskCreated" } }),
        },
      ]);
      const remindAt = inMs(3000);
      await createTask(taskId, eventId("created"), remindAt);
      const fired = await remindersAfter(taskId, settled(remindAt));
      expect(fired).toHaveLength(1);
      const dead = await readTopicToEnd("task-events-dlq", (r) => r.key === taskId);
      expect(dead.map((r) => r.text)).toEqual([
        "this is not a CloudEvent",
        JSON.stringify({ specversion: "1.0", id: `${taskId}-bad`, data: { event_type: "TaskCreated" } }),
      ]);
      expect(dead.map((r) => r.headers["dlq-reason"])).toEqual([
        expect.stringContaining("not a JSON object"),
        expect.stringContaining("data."),
      ]);
      expect(dead[0]?.headers["dlq-origin"]).toMatch(/^task-events\/\d+@\d+$/);
    });

    it("refuses an invalid event at publish-task-event, so it never reaches a consumer", async () => {
      const { taskId, eventId } = newTask("invalid");
      const answer = await post(
        "publish-task-event",
        binaryEvent("TaskCreated", eventId("bad"), taskPayload(taskId, { reminder_time: "soon" })),
      );
      expect(answer.status).toBe(400);
      const onTopic = await readTopicToEnd("task-events", (r) => cloudEventId(r).startsWith(taskId));
      expect(onTopic).toEqual([]);
    });
  },
);

/**
 * The order rule (docs/architecture.md "The order rule"): events apply in the order publish-task-event accepted them (the task's
 * partition), never by the producer's clock; deletion is final.
 */
describe.concurrent("order does not trust a producer's clock", () => {
  it("a completion stamped earlier than the creation still cancels the reminder (a clock running behind)", async () => {
    const { taskId, eventId } = newTask("clock-behind");
    const remindAt = inMs(3000);
    await createTask(taskId, eventId("created"), remindAt);
    await updateTask(taskId, eventId("done"), { completed: true }, skewedClock(-3_600_000));
    expect(await remindersAfter(taskId, settled(remindAt))).toEqual([]);
  });

  it("a creation from a clock running ahead does not make the later delete look stale", async () => {
    const { taskId, eventId } = newTask("clock-ahead");
    const remindAt = inMs(3000);
    await createTask(taskId, eventId("created"), remindAt, skewedClock(4 * 60_000));
    await deleteTask(taskId, eventId("deleted"));
    expect(await remindersAfter(taskId, settled(remindAt))).toEqual([]);
  });

  it("a delete before any create leaves a tombstone: the create that follows arms nothing", async () => {
    const { taskId, eventId } = newTask("delete-first");
    const remindAt = inMs(2500);
    await deleteTask(taskId, eventId("deleted"));
    await createTask(taskId, eventId("created"), remindAt);
    expect(await remindersAfter(taskId, settled(remindAt))).toEqual([]);
  });

  it("a create retried after the delete (same event id, re-sent) arms nothing", async () => {
    const { taskId, eventId } = newTask("retried-create");
    const remindAt = inMs(3000);
    const createdId = eventId("created");
    await createTask(taskId, createdId, remindAt);
    await deleteTask(taskId, eventId("deleted"));
    await createTask(taskId, createdId, remindAt);
    // Also with a new id, as a client that lost its id would send it.
    await createTask(taskId, eventId("created-again"), remindAt);
    expect(await remindersAfter(taskId, settled(remindAt))).toEqual([]);
  });

  it("a task created without a reminder and completed is remembered: setting a reminder later arms nothing", async () => {
    const { taskId, eventId } = newTask("completed-first");
    await createTask(taskId, eventId("created"), null);
    await updateTask(taskId, eventId("done"), { completed: true });
    const remindAt = inMs(2500);
    await updateTask(taskId, eventId("remind"), { reminder_time: remindAt });
    expect(await remindersAfter(taskId, settled(remindAt))).toEqual([]);
  });

  it("a reminder still fires when an event's time lies in the past", async () => {
    const { taskId, eventId } = newTask("old-time");
    const remindAt = inMs(3000);
    await createTask(taskId, eventId("created"), remindAt, skewedClock(-86_400_000));
    const fired = await waitForTopic("reminders", (r) => r.key === taskId, {
      enough: (r) => r.length >= 1,
      timeoutMs: 8000,
    });
    expect(fired).toHaveLength(1);
  });
});
