import { describe, expect, it } from "vitest";
import { binaryEvent, taskPayload } from "../support/fixtures.ts";
import {
  createTask,
  deleteTask,
  distinctEvents,
  inMs,
  newTask,
  remindersFor,
  updateTask,
} from "../support/reminders.ts";
import { cloudEventId, post, produceRaw, readTopic } from "../support/stack.ts";

// Scenarios run side by side: each waits for its reminder time, on its own task.
describe.concurrent(
  "reminders end to end: publish-task-event -> Kafka -> schedule-reminder -> Dapr job -> emit-reminder",
  () => {
    it("fires exactly one ReminderDue within 1 s of the reminder time", async () => {
      const { taskId, eventId } = newTask("fires");
      const remindAt = inMs(4000);
      await createTask(taskId, eventId("created"), remindAt);
      const records = await remindersFor(taskId, 8000);
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
      const events = distinctEvents(await remindersFor(taskId, 9000));
      expect(events.map((e) => e["reminder_time"])).toEqual([movedTo]);
      expect(events[0]?.["event_id"]).toBe(`reminder-${taskId}-v2`);
    });

    it("cancels on TaskDeleted: nothing on reminders", async () => {
      const { taskId, eventId } = newTask("deleted");
      await createTask(taskId, eventId("created"), inMs(3000));
      await deleteTask(taskId, eventId("deleted"));
      expect(await remindersFor(taskId, 7000)).toEqual([]);
    });

    it("cancels when the task is completed: nothing on reminders", async () => {
      const { taskId, eventId } = newTask("completed");
      await createTask(taskId, eventId("created"), inMs(3000));
      await updateTask(taskId, eventId("done"), { completed: true });
      expect(await remindersFor(taskId, 7000)).toEqual([]);
    });

    it("keeps one reminder when the same event is posted twice", async () => {
      const { taskId, eventId } = newTask("twice");
      const id = eventId("created");
      const remindAt = inMs(3000);
      await createTask(taskId, id, remindAt);
      await createTask(taskId, id, remindAt);
      const records = await remindersFor(taskId, 7000);
      expect(records).toHaveLength(1);
    });

    it("fires a reminder whose time has already passed, promptly and once", async () => {
      const { taskId, eventId } = newTask("past");
      const posted = Date.now();
      await createTask(taskId, eventId("created"), new Date(posted - 60_000).toISOString());
      const records = await remindersFor(taskId, 5000);
      expect(records).toHaveLength(1);
      expect(records[0]!.timestamp - posted).toBeLessThan(2000);
    });

    it("sends a poison message to the dead-letter topic while later events on its partition still flow", async () => {
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
      const dead = await readTopic("task-events-dlq", (r) => r.key === taskId, {
        enough: (r) => r.length >= 2,
        timeoutMs: 10_000,
      });
      expect(dead.map((r) => r.value["raw"] ?? r.value["id"])).toEqual(["this is not a CloudEvent", `${taskId}-bad`]);
      const fired = await remindersFor(taskId, 6000);
      expect(fired).toHaveLength(1);
    });

    it("refuses an invalid event at the door, so it never reaches a consumer", async () => {
      const { taskId, eventId } = newTask("invalid");
      const answer = await post(
        "publish-task-event",
        binaryEvent("TaskCreated", eventId("bad"), taskPayload(taskId, { reminder_time: "soon" })),
      );
      expect(answer.status).toBe(400);
      const onTopic = await readTopic("task-events", (r) => cloudEventId(r).startsWith(taskId), { timeoutMs: 2000 });
      expect(onTopic).toEqual([]);
    });
  },
);
