#!/usr/bin/env node
// Creates the topics of the event backbone (3 partitions each) and their dead-letter topic.
// Idempotent: existing topics are left as they are.
import { Admin } from "@platformatic/kafka";

const TOPICS = ["task-events", "task-updates", "reminders", "task-events-dlq"];
const broker = process.argv[2] ?? "127.0.0.1:9092";

const admin = new Admin({ clientId: "create-topics", bootstrapBrokers: [broker] });
try {
  const existing = new Set(await admin.listTopics());
  const missing = TOPICS.filter((topic) => !existing.has(topic));
  if (missing.length > 0) await admin.createTopics({ topics: missing, partitions: 3, replicas: 1 });
  console.log(`topics ready: ${TOPICS.join(", ")} (created: ${missing.join(", ") || "none"})`);
} finally {
  await admin.close();
}
