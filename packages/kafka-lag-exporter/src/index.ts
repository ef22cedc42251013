// Consumer lag per group, topic and partition, served as Prometheus metrics on /metrics
// (the metric names kafka_exporter uses: kafka_consumergroup_lag, ...). Read from the broker on
// each scrape with Kafka's admin API: the topics' offsets and the groups' committed offsets.
// Apache Kafka keeps no lag metric of its own (Redpanda does: redpanda_kafka_consumer_group_lag_*),
// so this runs beside either broker and gives both clusters the same series.
//
//   KAFKA_BROKERS=host:9092 LAG_GROUPS=schedule-reminder LAG_TOPICS=task-events PORT=9308 node index.js
import { createServer } from "node:http";
import { Admin } from "@platformatic/kafka";
import { Gauge, Registry } from "prom-client";
import { lagOf, type PartitionOffsets } from "./lag.ts";

const list = (value: string | undefined, fallback: string) =>
  (value ?? fallback)
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
const brokers = list(process.env["KAFKA_BROKERS"], "127.0.0.1:9092");
const groups = list(process.env["LAG_GROUPS"], "schedule-reminder");
const topics = list(process.env["LAG_TOPICS"], "task-events");
const port = Number(process.env["PORT"] ?? 9308);

const admin = new Admin({ clientId: "kafka-lag-exporter", bootstrapBrokers: brokers });
const registry = new Registry();
const labelNames = ["consumergroup", "topic", "partition"] as const;
const lag = new Gauge({
  name: "kafka_consumergroup_lag",
  help: "Records not yet processed",
  labelNames,
  registers: [registry],
});
const current = new Gauge({
  name: "kafka_consumergroup_current_offset",
  help: "The group's committed offset (-1: none yet)",
  labelNames,
  registers: [registry],
});
const end = new Gauge({
  name: "kafka_topic_partition_current_offset",
  help: "The offset after the partition's last record",
  labelNames: ["topic", "partition"],
  registers: [registry],
});

async function offsetsOf(topic: string): Promise<PartitionOffsets[]> {
  const metadata = await admin.metadata({ topics: [topic] });
  const count = metadata.topics.get(topic)?.partitionsCount ?? 0;
  const at = async (timestamp: bigint) => {
    const partitions = Array.from({ length: count }, (_, partitionIndex) => ({ partitionIndex, timestamp }));
    const [listed] = await admin.listOffsets({ topics: [{ name: topic, partitions }] });
    const byPartition = new Map((listed?.partitions ?? []).map((p) => [p.partitionIndex, p.offset]));
    return Array.from({ length: count }, (_, partition) => byPartition.get(partition) ?? 0n);
  };
  const [earliest, latest] = await Promise.all([at(-2n), at(-1n)]);
  return latest.map((endOffset, partition) => ({ earliest: earliest[partition] ?? 0n, end: endOffset }));
}

async function refresh(): Promise<void> {
  lag.reset();
  current.reset();
  end.reset();
  const committedByGroup = await admin.listConsumerGroupOffsets({ groups });
  for (const topic of topics) {
    const offsets = await offsetsOf(topic);
    offsets.forEach((o, partition) => {
      end.set({ topic, partition: String(partition) }, Number(o.end));
    });
    for (const group of groups) {
      const committed = new Map(
        (committedByGroup.find((g) => g.groupId === group)?.topics.find((t) => t.name === topic)?.partitions ?? [])
          .filter((p) => p.committedOffset >= 0n)
          .map((p) => [p.partitionIndex, p.committedOffset]),
      );
      for (const row of lagOf(group, topic, offsets, committed)) {
        const labels = { consumergroup: group, topic, partition: String(row.partition) };
        lag.set(labels, Number(row.lag));
        current.set(labels, Number(row.committed ?? -1n));
      }
    }
  }
}

createServer((request, response) => {
  if (request.url === "/healthz") {
    response.end("OK");
    return;
  }
  if (request.url !== "/metrics") {
    response.statusCode = 404;
    response.end();
    return;
  }
  refresh()
    .then(async () => {
      response.setHeader("content-type", registry.contentType);
      response.end(await registry.metrics());
    })
    .catch((error: unknown) => {
      response.statusCode = 503;
      response.end(`broker unavailable: ${error instanceof Error ? error.message : String(error)}\n`);
    });
}).listen(port, () => {
  console.log(`kafka-lag-exporter: groups ${groups.join(",")} on ${topics.join(",")}, :${port}/metrics`);
});

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    void admin.close().finally(() => process.exit(0));
  });
}
