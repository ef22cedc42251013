// Dead-letter topic tool: inspect task-events-dlq, and re-publish chosen records to task-events
// once they are fixed. Each dead letter carries why it is there (record headers dlq-reason,
// dlq-origin, dlq-consumer). Replays are idempotent: a record keeps its key and its event_id, and
// schedule-reminder applies each event_id once, so replaying twice changes nothing more. A replay
// is a new event at the end of its partition: under the order rule (docs/architecture.md) it applies
// after everything already there, and a replayed create of a deleted task still changes nothing.
//
//   npm run dlq -- list
//   npm run dlq -- replay <partition>:<offset> [--fixed <file.json>]
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ConsumedTaskEvent, DEAD_LETTER_HEADERS, describeIssues, parseRecord } from "@todo/shared";
import { produce, readToEnd, type TopicRecord } from "./kafka-topics.ts";

const DLQ = "task-events-dlq";
const TARGET = "task-events";
const stackDir = process.env["STACK_DIR"] ?? join(import.meta.dirname, "..", ".stack");
const broker =
  process.env["KAFKA_BROKER"] ??
  (JSON.parse(readFileSync(join(stackDir, "stack.json"), "utf8")) as { kafka: string }).kafka;

const at = (record: TopicRecord) => `${record.partition}:${record.offset}`;

/** Why a record would be dead-lettered again, or nothing when it is a valid task event now. */
function problemsOf(value: Buffer): string | undefined {
  const parsed = parseRecord(value, ConsumedTaskEvent);
  return parsed.ok ? undefined : describeIssues(parsed.issues);
}

async function list(): Promise<void> {
  for (const record of await readToEnd(broker, DLQ)) {
    const problems = problemsOf(Buffer.from(record.text));
    console.log(`${at(record)}\tkey=${record.key ?? "-"}\t${problems ? `INVALID ${problems}` : "valid now"}`);
    const reason = record.headers[DEAD_LETTER_HEADERS.reason];
    if (reason) {
      console.log(
        `\tdead-lettered by ${record.headers[DEAD_LETTER_HEADERS.consumer] ?? "?"} from ${record.headers[DEAD_LETTER_HEADERS.origin] ?? "?"}: ${reason}`,
      );
    }
    console.log(`\t${record.text.slice(0, 200)}`);
  }
}

async function replay(position: string, fixedFile: string | undefined): Promise<void> {
  const record = (await readToEnd(broker, DLQ)).find((r) => at(r) === position);
  if (!record) throw new Error(`no record ${position} on ${DLQ}`);
  const value = fixedFile ? readFileSync(fixedFile) : Buffer.from(record.text);
  const problems = problemsOf(value);
  if (problems) throw new Error(`still invalid, not replayed:\n  ${problems}`);
  await produce(broker, TARGET, [{ key: record.key, value }]);
  console.log(`replayed ${position} to ${TARGET} (key ${record.key ?? "-"})`);
}

const [command, position, flag, file] = process.argv.slice(2);
if (command === "list") await list();
else if (command === "replay" && position) await replay(position, flag === "--fixed" ? file : undefined);
else {
  console.error("usage: npm run dlq -- list | replay <partition>:<offset> [--fixed <file.json>]");
  process.exit(2);
}
