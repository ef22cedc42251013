import { expect } from "vitest";
import type { EventType } from "@todo/shared";
import { RUN_ID, binaryEvent, taskPayload, type CloudEventRequest } from "./fixtures.ts";
import { post, readTopicToEnd, sleep, type TopicRecord } from "./stack.ts";

let sequence = 0;

/** A new task id and event ids of this run, so scenarios never see each other's records. */
export function newTask(name: string) {
  const taskId = `${RUN_ID}-${name}`;
  return { taskId, eventId: (step: string) => `${taskId}-${step}-${++sequence}` };
}

export const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();

/** A binary-mode task event stamped with the current time (its producer's clock is right). */
export function taskEventNow(type: EventType, eventId: string, data: unknown): CloudEventRequest {
  return binaryEvent(type, eventId, data, { "ce-time": new Date().toISOString() });
}

async function postAccepted(request: CloudEventRequest): Promise<void> {
  const answer = await post("publish-task-event", request);
  expect(answer.status, JSON.stringify(answer.body)).toBe(202);
}

/** Posts a TaskCreated with a reminder at `remindAt` through publish-task-event. */
export const createTask = (taskId: string, eventId: string, remindAt: string | null, request = taskEventNow) =>
  postAccepted(request("TaskCreated", eventId, taskPayload(taskId, { reminder_time: remindAt })));

export const updateTask = (taskId: string, eventId: string, changes: Record<string, unknown>, request = taskEventNow) =>
  postAccepted(request("TaskUpdated", eventId, { user_id: "user-1", task_id: taskId, changes }));

export const deleteTask = (taskId: string, eventId: string, request = taskEventNow) =>
  postAccepted(request("TaskDeleted", eventId, { user_id: "user-1", task_id: taskId }));

/**
 * Every ReminderDue record of the task on `reminders`, read to the topic's end once `settleAt`
 * (ms since the epoch: the reminder time plus a margin) has passed: a complete answer, so that
 * "none" and "exactly one" mean what they say.
 */
export async function remindersAfter(taskId: string, settleAt: number): Promise<TopicRecord[]> {
  await sleep(Math.max(0, settleAt - Date.now()));
  return readTopicToEnd("reminders", (record) => record.key === taskId);
}

/**
 * How the records of one task's events split: distinct events (by event_id), identical extra
 * copies of one event (a retry after a crash; consumers de-duplicate them by event_id), and
 * copies that share an event_id but differ (never allowed).
 */
export interface Copies {
  readonly events: number;
  readonly duplicateCopies: number;
  readonly conflictingCopies: number;
}

export function countCopies(records: readonly TopicRecord[]): Copies {
  const byId = new Map<string, string>();
  let duplicateCopies = 0;
  let conflictingCopies = 0;
  for (const record of records) {
    const data = record.value["data"] as Record<string, unknown> | undefined;
    const eventId = data?.["event_id"];
    const id = typeof eventId === "string" ? eventId : record.text;
    const seen = byId.get(id);
    const content = JSON.stringify(data ?? record.text);
    if (seen === undefined) byId.set(id, content);
    else if (seen === content) duplicateCopies++;
    else conflictingCopies++;
  }
  return { events: byId.size, duplicateCopies, conflictingCopies };
}

/**
 * A client that sends the same request (same CloudEvent id) again, `pauseMs` apart, while the
 * answer is a 5xx or none at all: true once accepted (202), false on a 4xx or at `deadline`.
 */
export async function sendUntilAccepted(
  send: () => Promise<{ readonly status: number }>,
  deadline: number,
  pauseMs: number,
): Promise<boolean> {
  while (Date.now() < deadline) {
    const status = await send().then(
      (answer) => answer.status,
      () => 0,
    );
    if (status === 202) return true;
    if (status >= 400 && status < 500) return false;
    await sleep(pauseMs);
  }
  return false;
}
