// Dead-letter topic tool: inspect task-events-dlq, and re-publish chosen records to task-events
// once they are fixed. Replays are idempotent: a record keeps its key and its event_id, and
// schedule-reminder applies each event_id once, so replaying twice changes nothing more.
//
//   npm run dlq -- list
//   npm run dlq -- replay <partition>:<offset> [--fixed <file.json>]
import { readFileSync } from "node:fs";
import { Kafka, logLevel, type KafkaMessage } from "kafkajs";
import { TaskEvent, zodIssues } from "@todo/shared";

const DLQ = "task-events-dlq";
const TARGET = "task-events";
const stackFile = new URL("../.stack/stack.json", import.meta.url);
const broker = process.env["KAFKA_BROKER"] ?? (JSON.parse(readFileSync(stackFile, "utf8")) as { kafka: string }).kafka;
const kafka = new Kafka({ clientId: "dlq-tool", brokers: [broker], logLevel: logLevel.NOTHING });

interface DeadRecord {
  readonly at: string;
  readonly key: string | undefined;
  readonly value: string;
}

/** Why a record would be dropped again, or nothing when it is a valid task event now. */
function problemsOf(value: string): string[] {
  let record: unknown;
  try {
    record = JSON.parse(value);
  } catch {
    return ["not JSON"];
  }
  const parsed = TaskEvent.safeParse((record as { data?: unknown } | null)?.data);
  return parsed.success ? [] : zodIssues(parsed.error, "data").map((issue) => `${issue.path}: ${issue.message}`);
}

async function readDeadLetters(): Promise<DeadRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(DLQ);
  await admin.disconnect();
  const remaining = new Map(ends.map((p) => [p.partition, Number(p.high) - Number(p.low)]));
  const records: DeadRecord[] = [];
  if ([...remaining.values()].every((n) => n === 0)) return records;
  const consumer = kafka.consumer({ groupId: `dlq-tool-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic: DLQ, fromBeginning: true });
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: ({ partition, message }: { partition: number; message: KafkaMessage }) => {
        records.push({
          at: `${partition}:${message.offset}`,
          key: message.key?.toString(),
          value: message.value?.toString() ?? "",
        });
        remaining.set(partition, (remaining.get(partition) ?? 1) - 1);
        if ([...remaining.values()].every((n) => n <= 0)) resolve();
        return Promise.resolve();
      },
    });
  });
  await consumer.disconnect();
  return records;
}

async function list(): Promise<void> {
  for (const record of await readDeadLetters()) {
    const problems = problemsOf(record.value);
    console.log(
      `${record.at}\tkey=${record.key ?? "-"}\t${problems.length ? `INVALID ${problems.join("; ")}` : "valid now"}`,
    );
    console.log(`\t${record.value.slice(0, 200)}`);
  }
}

async function replay(at: string, fixedFile: string | undefined): Promise<void> {
  const record = (await readDeadLetters()).find((r) => r.at === at);
  if (!record) throw new Error(`no record ${at} on ${DLQ}`);
  const value = fixedFile ? readFileSync(fixedFile, "utf8") : record.value;
  const problems = problemsOf(value);
  if (problems.length) throw new Error(`still invalid, not replayed:\n  ${problems.join("\n  ")}`);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.send({ topic: TARGET, acks: -1, messages: [{ key: record.key ?? null, value }] });
  await producer.disconnect();
  console.log(`replayed ${at} to ${TARGET} (key ${record.key ?? "-"})`);
}

const [command, at, flag, file] = process.argv.slice(2);
if (command === "list") await list();
else if (command === "replay" && at) await replay(at, flag === "--fixed" ? file : undefined);
else {
  console.error("usage: npm run dlq -- list | replay <partition>:<offset> [--fixed <file.json>]");
  process.exit(2);
}
