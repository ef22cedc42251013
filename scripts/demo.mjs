#!/usr/bin/env node
// The main job, on the running local stack: post a TaskCreated with a reminder a few seconds ahead
// to publish-task-event, then watch the `reminders` topic until its ReminderDue arrives.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { Kafka, logLevel } from "kafkajs";

const stack = JSON.parse(readFileSync(new URL("../.stack/stack.json", import.meta.url), "utf8"));
const leadSeconds = Number(process.argv[2] ?? 5);
const taskId = `demo-${randomUUID().slice(0, 8)}`;
const remindAt = new Date(Date.now() + leadSeconds * 1000).toISOString();
const say = (message) => console.log(`[${new Date().toISOString()}] ${message}`);

const consumer = new Kafka({ clientId: "demo", brokers: [stack.kafka], logLevel: logLevel.NOTHING }).consumer({
  groupId: `demo-${taskId}`,
});
await consumer.connect();
await consumer.subscribe({ topic: "reminders", fromBeginning: false });
const arrived = new Promise((resolve) => {
  void consumer.run({
    eachMessage: async ({ message }) => {
      if (message.key?.toString() === taskId) resolve(message);
    },
  });
});
// Let the consumer join before the reminder can fire.
await new Promise((resolve) => setTimeout(resolve, 1500));

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
const eventId = randomUUID();
say(`POST TaskCreated ${taskId} (reminder at ${remindAt}) to ${stack.functions["publish-task-event"].url}`);
const response = await fetch(stack.functions["publish-task-event"].url, {
  method: "POST",
  headers: {
    "content-type": "application/json",
    "ce-specversion": "1.0",
    "ce-id": eventId,
    "ce-source": "/todo/chat-api",
    "ce-type": "com.todo.task.created.v1",
    "ce-time": new Date().toISOString(),
  },
  body: JSON.stringify(event),
});
say(`publish-task-event answered ${response.status} ${await response.text()}`);
if (response.status !== 202) process.exit(1);

say("waiting for ReminderDue on topic 'reminders' ...");
const timeout = new Promise((resolve) => setTimeout(() => resolve(undefined), (leadSeconds + 15) * 1000));
const message = await Promise.race([arrived, timeout]);
await consumer.disconnect();
if (!message) {
  say(`no ReminderDue arrived; see the logs in ${stack.logs}`);
  process.exit(1);
}
const reminder = JSON.parse(message.value.toString());
const lateness = Number(message.timestamp) - Date.parse(remindAt);
say(`ReminderDue arrived (key ${message.key}, ${lateness} ms after the reminder time):`);
console.log(
  JSON.stringify({ type: reminder.type, id: reminder.id, subject: reminder.subject, data: reminder.data }, null, 2),
);
