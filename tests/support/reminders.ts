import { expect } from "vitest";
import type { EventType } from "@todo/shared";
import { RUN_ID, binaryEvent, taskPayload, type CloudEventRequest } from "./fixtures.ts";
import { post, readTopic, type TopicRecord } from "./stack.ts";

let sequence = 0;

/** A new task id and event ids of this run, so scenarios never see each other's records. */
export function newTask(name: string) {
  const taskId = `${RUN_ID}-${name}`;
  return { taskId, eventId: (step: string) => `${taskId}-${step}-${++sequence}` };
}

export const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();

/** A binary-mode task event stamped with the current time (ordering by event time needs it). */
export function taskEventNow(type: EventType, eventId: string, data: unknown): CloudEventRequest {
  return binaryEvent(type, eventId, data, { "ce-time": new Date().toISOString() });
}

async function postAccepted(request: CloudEventRequest): Promise<void> {
  const answer = await post("publish-task-event", request);
  expect(answer.status, JSON.stringify(answer.body)).toBe(202);
}

/** Posts a TaskCreated with a reminder at `remindAt` through publish-task-event. */
export const createTask = (taskId: string, eventId: string, remindAt: string | null) =>
  postAccepted(taskEventNow("TaskCreated", eventId, taskPayload(taskId, { reminder_time: remindAt })));

export const updateTask = (taskId: string, eventId: string, changes: Record<string, unknown>) =>
  postAccepted(taskEventNow("TaskUpdated", eventId, { user_id: "user-1", task_id: taskId, changes }));

export const deleteTask = (taskId: string, eventId: string) =>
  postAccepted(taskEventNow("TaskDeleted", eventId, { user_id: "user-1", task_id: taskId }));

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
