// Creates the backbone's topics and their dead-letter topic, with the partitions and retention of
// packages/shared/src/contracts/topics.ts. Idempotent: an existing topic gets its retention set
// again (a changed retention reaches the broker), and is otherwise left as it is.
//   node scripts/create-topics.ts <broker host:port>
import { Admin, ConfigResourceTypes, IncrementalAlterConfigOperationTypes } from "@platformatic/kafka";
import { PARTITIONS, TOPIC_RETENTION_DAYS, retentionMs } from "../packages/shared/src/contracts/topics.ts";

const topics = Object.keys(TOPIC_RETENTION_DAYS) as (keyof typeof TOPIC_RETENTION_DAYS)[];
const broker = process.argv[2] ?? "127.0.0.1:9092";

const admin = new Admin({ clientId: "create-topics", bootstrapBrokers: [broker] });
try {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((topic) => !existing.has(topic));
  for (const topic of missing) {
    await admin.createTopics({
      topics: [topic],
      partitions: PARTITIONS,
      replicas: 1,
      configs: [{ name: "retention.ms", value: String(retentionMs(topic)) }],
    });
  }
  await admin.incrementalAlterConfigs({
    resources: topics.map((topic) => ({
      resourceType: ConfigResourceTypes.TOPIC,
      resourceName: topic,
      configs: [
        {
          name: "retention.ms",
          configOperation: IncrementalAlterConfigOperationTypes.SET,
          value: String(retentionMs(topic)),
        },
      ],
    })),
  });
  console.log(`topics ready: ${topics.join(", ")} (created: ${missing.join(", ") || "none"})`);
} finally {
  await admin.close();
}
