import { expect } from "vitest";
import { RUN_ID, binaryEvent, taskPayload } from "./fixtures.ts";
import { post, readTopic, type TopicRecord } from "./stack.ts";

let sequence = 0;

/** A new task id and event ids of this run, so scenarios never see each other's records. */
export function newTask(name: string) {
  const taskId = `${RUN_ID}-${name}`;
  return { taskId, eventId: (step: string) => `${taskId}-${step}-${++sequence}` };
}

export const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();

/** Posts a TaskCreated with a reminder at `remindAt` through publish-task-event. */
export async function createTask(taskId: string, eventId: string, remindAt: string | null): Promise<void> {
  const answer = await post(
    "publish-task-event",
    binaryEvent("TaskCreated", eventId, taskPayload(taskId, { reminder_time: remindAt }), {
      "ce-time": new Date().toISOString(),
    }),
  );
  expect(answer.status, JSON.stringify(answer.body)).toBe(202);
}

export async function updateTask(taskId: string, eventId: string, changes: Record<string, unknown>): Promise<void> {
  const answer = await post(
    "publish-task-event",
    binaryEvent(
      "TaskUpdated",
      eventId,
      { user_id: "user-1", task_id: taskId, changes },
      { "ce-time": new Date().toISOString() },
    ),
  );
  expect(answer.status, JSON.stringify(answer.body)).toBe(202);
}

export async function deleteTask(taskId: string, eventId: string): Promise<void> {
  const answer = await post(
    "publish-task-event",
    binaryEvent(
      "TaskDeleted",
      eventId,
      { user_id: "user-1", task_id: taskId },
      { "ce-time": new Date().toISOString() },
    ),
  );
  expect(answer.status, JSON.stringify(answer.body)).toBe(202);
}

/** Every ReminderDue record for the task, read until `waitMs` has passed. */
export async function remindersFor(taskId: string, waitMs: number): Promise<TopicRecord[]> {
  return readTopic("reminders", (record) => record.key === taskId, { timeoutMs: waitMs });
}

/** The distinct ReminderDue events among the records (copies of one event share its id). */
export function distinctEvents(records: TopicRecord[]): Record<string, unknown>[] {
  const byId = new Map<string, Record<string, unknown>>();
  for (const record of records) {
    const data = record.value["data"] as Record<string, unknown>;
    const seen = byId.get(data["event_id"] as string);
    if (seen) expect(seen, "a second copy of an event must be identical").toEqual(data);
    byId.set(data["event_id"] as string, data);
  }
  return [...byId.values()];
}
