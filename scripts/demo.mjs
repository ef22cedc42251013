#!/usr/bin/env node
// The main job, on the running local stack: post a TaskCreated with a reminder a few seconds ahead
// to publish-task-event (as the chat API would, with its bearer token), then watch the `reminders`
// topic until its ReminderDue arrives.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { waitForRecords } from "./kafka-topics.ts";

const stack = JSON.parse(readFileSync(new URL("../.stack/stack.json", import.meta.url), "utf8"));
const clientToken = readFileSync(join(stack.tokens, "publish-task-event-clients"), "utf8").trim();
const leadSeconds = Number(process.argv[2] ?? 5);
const taskId = `demo-${randomUUID().slice(0, 8)}`;
const remindAt = new Date(Date.now() + leadSeconds * 1000).toISOString();
const say = (message) => console.log(`[${new Date().toISOString()}] ${message}`);

const event = {
  user_id: "demo-user",
  task: {
    id: taskId,
    title: "Call the dentist",
    description: "The demo task",
    completed: false,
    priority: "high",
    tags: ["demo"],
    due_date: new Date(Date.now() + 3_600_000).toISOString(),
    reminder_time: remindAt,
    created_at: new Date().toISOString(),
    updated_at: new Date().toISOString(),
  },
};
const url = stack.functions["publish-task-event"].url;
say(`POST TaskCreated ${taskId} (reminder at ${remindAt}) to ${url}`);
const response = await fetch(url, {
  method: "POST",
  headers: {
    authorization: `Bearer ${clientToken}`,
    "content-type": "application/json",
    "ce-specversion": "1.0",
    "ce-id": randomUUID(),
    "ce-source": "/todo/chat-api",
    "ce-type": "com.todo.task.created.v1",
    "ce-time": new Date().toISOString(),
  },
  body: JSON.stringify(event),
});
say(`publish-task-event answered ${response.status} ${await response.text()}`);
if (response.status !== 202) process.exit(1);

say("waiting for ReminderDue on topic 'reminders' ...");
const [record] = await waitForRecords(stack.kafka, "reminders", (r) => r.key === taskId, {
  enough: (records) => records.length > 0,
  timeoutMs: (leadSeconds + 15) * 1000,
});
if (!record) {
  say(`no ReminderDue arrived; see the logs in ${stack.logs}`);
  process.exit(1);
}
say(`ReminderDue arrived (key ${record.key}, ${record.timestamp - Date.parse(remindAt)} ms after the reminder time):`);
const { type, id, subject, data } = record.value;
console.log(JSON.stringify({ type, id, subject, data }, null, 2));
