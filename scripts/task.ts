// Posts a task event to publish-task-event as the chat API would, with its bearer token: to try
// the backbone by hand. By default against the local stack (its address and token from .stack/);
// --url and TODO_CLIENT_TOKEN (or --token-file) for another one, e.g. a cluster.
//
//   npm run task -- create <task-id> [--remind-in 2m] [--title "Call the dentist"]
//   npm run task -- move <task-id> --remind-in 10m
//   npm run task -- complete <task-id>
//   npm run task -- delete <task-id>
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { CLOUDEVENT_TYPE, Payload, type EventType, type PayloadOf } from "@todo/shared";

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    "remind-in": { type: "string" },
    title: { type: "string", default: "Call the dentist" },
    user: { type: "string", default: "user-1" },
    url: { type: "string" },
    "token-file": { type: "string" },
  },
});
const [command, taskId] = positionals;
const usage = "usage: npm run task -- create|move|complete|delete <task-id> [--remind-in 2m] [--title ...] [--url ...]";
if (!command || !taskId) {
  console.error(usage);
  process.exit(2);
}

/** "90s", "2m", "1h": that long from now. */
function fromNowBy(text: string): string {
  const match = /^(\d+)(s|m|h)$/.exec(text);
  if (!match) throw new Error(`--remind-in takes 90s, 2m or 1h, not "${text}"`);
  const ms = Number(match[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[match[2] as "s" | "m" | "h"];
  return new Date(Date.now() + ms).toISOString();
}

const remindAt = values["remind-in"] === undefined ? null : fromNowBy(values["remind-in"]);
const now = new Date().toISOString();
const events: Record<string, () => [EventType, PayloadOf<"TaskCreated" | "TaskUpdated" | "TaskDeleted">]> = {
  create: () => [
    "TaskCreated",
    {
      user_id: values.user,
      task: {
        id: taskId,
        title: values.title,
        description: null,
        completed: false,
        priority: "medium",
        tags: [],
        due_date: null,
        reminder_time: remindAt,
        created_at: now,
        updated_at: now,
      },
    },
  ],
  move: () => ["TaskUpdated", { user_id: values.user, task_id: taskId, changes: { reminder_time: remindAt } }],
  complete: () => ["TaskUpdated", { user_id: values.user, task_id: taskId, changes: { completed: true } }],
  delete: () => ["TaskDeleted", { user_id: values.user, task_id: taskId }],
};
const build = events[command];
if (!build) {
  console.error(usage);
  process.exit(2);
}
const [type, data] = build();
Payload[type].parse(data); // what the function checks too: say it here, before anything is sent

const stackDir = process.env["STACK_DIR"] ?? join(import.meta.dirname, "..", ".stack");
const stack = () =>
  JSON.parse(readFileSync(join(stackDir, "stack.json"), "utf8")) as {
    tokens: string;
    functions: Record<string, { url: string }>;
  };
const url = values.url ?? stack().functions["publish-task-event"]!.url;
const token =
  process.env["TODO_CLIENT_TOKEN"] ??
  readFileSync(values["token-file"] ?? join(stack().tokens, "publish-task-event-clients"), "utf8").trim();

const id = randomUUID();
const response = await fetch(url, {
  method: "POST",
  headers: {
    authorization: `Bearer ${token}`,
    "content-type": "application/json",
    "ce-specversion": "1.0",
    "ce-id": id,
    "ce-source": "/todo/chat-api",
    "ce-type": CLOUDEVENT_TYPE[type],
    "ce-time": now,
  },
  body: JSON.stringify(data),
});
console.log(`${type} ${taskId} (ce-id ${id}): ${response.status} ${await response.text()}`);
if (response.status !== 202) process.exitCode = 1;
