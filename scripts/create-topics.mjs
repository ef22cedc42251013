#!/usr/bin/env node
// Creates the topics of the event backbone (3 partitions each) and their dead-letter topic.
// Idempotent: existing topics are left as they are.
import { Kafka, logLevel } from "kafkajs";

const TOPICS = ["task-events", "task-updates", "reminders", "task-events-dlq"];
const broker = process.argv[2] ?? "127.0.0.1:9092";

const admin = new Kafka({ clientId: "create-topics", brokers: [broker], logLevel: logLevel.WARN }).admin();
await admin.connect();
try {
  const existing = new Set(await admin.listTopics());
  const missing = TOPICS.filter((topic) => !existing.has(topic));
  if (missing.length > 0) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({ topic, numPartitions: 3, replicationFactor: 1 })),
    });
  }
  console.log(`topics ready: ${TOPICS.join(", ")} (created: ${missing.join(", ") || "none"})`);
} finally {
  await admin.disconnect();
}
