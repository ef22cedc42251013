/**
 * Reading and writing the backbone's topics from outside (the tests, the benchmark, the demo and
 * the dead-letter tool) with @platformatic/kafka. Two ways to read:
 * - `readToEnd`: every record up to each partition's end offset as it stands when called - a
 *   complete read, the only honest way to say "nothing arrived";
 * - `waitForRecords`: what arrives until `enough` holds, or a deadline passes.
 */
import { randomUUID } from "node:crypto";
import { Consumer, Producer, type Message } from "@platformatic/kafka";

export interface TopicRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** The record's timestamp (the producer's create time), ms since the epoch. */
  readonly timestamp: number;
  readonly key: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  /** The value as text, exactly as it is on the topic. */
  readonly text: string;
  /** The value as a JSON object; what a misbehaving producer wrote that is none is `{ raw: text }`. */
  readonly value: Record<string, unknown>;
}

export interface RecordToSend {
  readonly key?: string | Buffer | undefined;
  /** Where it goes; by default the partition of its key. */
  readonly partition?: number;
  readonly value: string | Buffer;
  readonly headers?: Readonly<Record<string, string>>;
}

function toRecord(message: Message): TopicRecord {
  const text = (message.value as Buffer | undefined)?.toString("utf8") ?? "";
  const headers: Record<string, string> = {};
  for (const [name, value] of message.headers) headers[name.toString()] = value.toString();
  return {
    topic: message.topic,
    partition: message.partition,
    offset: Number(message.offset),
    timestamp: Number(message.timestamp),
    key: (message.key as Buffer | undefined)?.toString(),
    headers,
    text,
    value: parseValue(text),
  };
}

function parseValue(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === "object" && value !== null) return value as Record<string, unknown>;
  } catch {
    // not JSON
  }
  return { raw: text };
}

const consumerFor = (broker: string) =>
  new Consumer({
    groupId: `reader-${randomUUID()}`,
    clientId: "todo-reader",
    bootstrapBrokers: [broker],
    maxWaitTime: 100,
  });

/**
 * Reads `topic` from the start until `done(records, lastOffsets)` says so; each record first
 * goes through `keep`. Throws when `deadlineMs` passes and `onDeadline` does not accept it.
 */
async function consumeUntil(
  broker: string,
  topic: string,
  keep: (record: TopicRecord) => boolean,
  done: (kept: TopicRecord[], next: Map<number, number>) => boolean,
  deadlineMs: number,
  onDeadline: () => void,
): Promise<TopicRecord[]> {
  const consumer = consumerFor(broker);
  const kept: TopicRecord[] = [];
  const next = new Map<number, number>();
  try {
    if (done(kept, next)) return kept;
    const stream = await consumer.consume({ topics: [topic], mode: "earliest", autocommit: false });
    const timer = setTimeout(() => {
      void stream.close();
    }, deadlineMs);
    try {
      for await (const message of stream) {
        const record = toRecord(message);
        next.set(record.partition, record.offset + 1);
        if (keep(record)) kept.push(record);
        if (done(kept, next)) return kept;
      }
      onDeadline();
      return kept;
    } finally {
      clearTimeout(timer);
      await stream.close();
    }
  } finally {
    await consumer.close(true);
  }
}

/** Every record (that `matches`) up to the end of each partition as it stands now. */
export async function readToEnd(
  broker: string,
  topic: string,
  matches: (record: TopicRecord) => boolean = () => true,
): Promise<TopicRecord[]> {
  const ends = await endOffsets(broker, topic);
  const reached = (next: Map<number, number>) =>
    ends.every((end, partition) => end === 0 || (next.get(partition) ?? 0) >= end);
  return consumeUntil(
    broker,
    topic,
    matches,
    (_kept, next) => reached(next),
    60_000,
    () => {
      throw new Error(`could not read ${topic} to its end offsets ${ends.join(",")} within 60 s`);
    },
  );
}

/** The records that `matches`, read until `enough` holds or `timeoutMs` passes (then what arrived). */
export async function waitForRecords(
  broker: string,
  topic: string,
  matches: (record: TopicRecord) => boolean,
  { enough, timeoutMs }: { enough: (records: TopicRecord[]) => boolean; timeoutMs: number },
): Promise<TopicRecord[]> {
  return consumeUntil(
    broker,
    topic,
    matches,
    (kept) => enough(kept),
    timeoutMs,
    () => undefined,
  );
}

/** The offset after the last record of each partition, by partition number. */
export async function endOffsets(broker: string, topic: string): Promise<number[]> {
  const consumer = consumerFor(broker);
  try {
    const offsets = await consumer.listOffsets({ topics: [topic] });
    return (offsets.get(topic) ?? []).map(Number);
  } finally {
    await consumer.close(true);
  }
}

/** Writes records straight to a topic (acks from all replicas), as any producer could. */
export async function produce(broker: string, topic: string, records: readonly RecordToSend[]): Promise<void> {
  const producer = new Producer({ clientId: "todo-writer", bootstrapBrokers: [broker], acks: -1 });
  const bytes = (value: string | Buffer) => (Buffer.isBuffer(value) ? value : Buffer.from(value));
  try {
    await producer.send({
      messages: records.map((record) => ({
        topic,
        key: record.key === undefined ? undefined : bytes(record.key),
        partition: record.partition,
        value: bytes(record.value),
        headers: new Map(Object.entries(record.headers ?? {}).map(([name, value]) => [bytes(name), bytes(value)])),
      })),
    });
  } finally {
    await producer.close();
  }
}

/**
 * Waits until consumer group `group` has committed offsets up to the end of every partition of
 * `topic` as it stands now: it has processed every record written so far. Says whether it got there.
 */
export async function consumedToEnd(broker: string, group: string, topic: string, timeoutMs: number): Promise<boolean> {
  const ends = await endOffsets(broker, topic);
  const consumer = new Consumer({ groupId: group, clientId: "todo-reader", bootstrapBrokers: [broker] });
  const partitions = ends.map((_, partition) => partition);
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const committed = (await consumer.listCommittedOffsets({ topics: [{ topic, partitions }] })).get(topic) ?? [];
      if (ends.every((end, partition) => end === 0 || Number(committed[partition] ?? -1) >= end)) return true;
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await consumer.close(true);
  }
}
