import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { promisify } from "node:util";
import { Kafka, logLevel, type KafkaMessage } from "kafkajs";
import type { CloudEventRequest } from "./fixtures.ts";

export type FunctionName = "publish-task-event" | "schedule-reminder" | "emit-reminder";

export interface StackInfo {
  readonly kafka: string;
  readonly databaseUrl: string;
  readonly stackScript: string;
  readonly logs: string;
  readonly tokens: string;
  readonly functions: Record<FunctionName, { readonly url: string; readonly dapr: string }>;
}

export const STACK_FILE = join(import.meta.dirname, "..", "..", ".stack", "stack.json");

/** Where the running local stack listens (written by `scripts/stack.sh up`). */
export function stack(): StackInfo {
  return JSON.parse(readFileSync(STACK_FILE, "utf8")) as StackInfo;
}

/** Starts, stops or kill -9s one piece of the stack (kafka, postgres, <function>, <function>-dapr, ...). */
export async function stackCtl(action: "start" | "stop" | "kill", piece: string): Promise<void> {
  await promisify(execFile)(stack().stackScript, [action, piece], { timeout: 120_000 });
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

/**
 * POSTs a request to a function. Plain node:http rather than fetch: when the function refuses a
 * body that is too large it answers 413 and closes while the body is still being written; fetch
 * then reports only the broken pipe, while here the answer that did arrive wins.
 */
export function post(fn: FunctionName, request: CloudEventRequest): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const outgoing = httpRequest(
      stack().functions[fn].url,
      { method: "POST", headers: request.headers },
      (response) => {
        answered = true;
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let body: Record<string, unknown>;
          try {
            body = JSON.parse(text) as Record<string, unknown>;
          } catch {
            body = { text };
          }
          const headers = new Headers();
          for (const [name, value] of Object.entries(response.headers)) {
            if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
          }
          resolve({ status: response.statusCode ?? 0, headers, body });
        });
        response.on("error", reject);
      },
    );
    outgoing.on("error", (error) => {
      // The answer may still be on its way in when the write side breaks: give it a moment.
      setTimeout(() => {
        if (!answered) reject(error);
      }, 200);
    });
    outgoing.end(request.body);
  });
}

export interface TopicRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** When the broker got it (producer create time), ms since the epoch. */
  readonly timestamp: number;
  readonly key: string | undefined;
  readonly headers: Record<string, string>;
  readonly value: Record<string, unknown>;
}

function toRecord(topic: string, partition: number, message: KafkaMessage): TopicRecord {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) headers[name] = String(value);
  return {
    topic,
    partition,
    offset: Number(message.offset),
    timestamp: Number(message.timestamp),
    key: message.key?.toString(),
    headers,
    value: parseValue(message.value?.toString() ?? ""),
  };
}

/** Records are JSON objects, except what a misbehaving producer wrote: that is kept as `raw`. */
function parseValue(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === "object" && value !== null) return value as Record<string, unknown>;
  } catch {
    // not JSON
  }
  return { raw: text };
}

/**
 * Reads a topic from the beginning with a fresh consumer group and returns the records that match,
 * once `enough(records)` holds or `timeoutMs` passed (then it returns what it has).
 */
export async function readTopic(
  topic: string,
  matches: (record: TopicRecord) => boolean,
  {
    enough = () => false,
    timeoutMs = 10_000,
  }: { enough?: (records: TopicRecord[]) => boolean; timeoutMs?: number } = {},
): Promise<TopicRecord[]> {
  const kafka = new Kafka({ clientId: "tests", brokers: [stack().kafka], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `tests-${topic}-${Date.now()}-${Math.random()}` });
  const found: TopicRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      void consumer.run({
        eachMessage: ({ partition, message }) => {
          const record = toRecord(topic, partition, message);
          if (matches(record)) found.push(record);
          if (enough(found)) {
            clearTimeout(timer);
            resolve();
          }
          return Promise.resolve();
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return found;
}

/** The CloudEvent id of a record on a topic (Dapr keeps the structured CloudEvent as the value). */
/** Records that are no CloudEvent (a misbehaving producer's) have none: "". */
export const cloudEventId = (record: TopicRecord) => {
  const id = record.value["id"];
  return typeof id === "string" ? id : "";
};

/** Writes records straight to a topic, as a misbehaving producer would. */
export async function produceRaw(topic: string, messages: { key: string; value: string }[]): Promise<void> {
  const producer = new Kafka({ clientId: "tests", brokers: [stack().kafka], logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  try {
    await producer.send({ topic, messages });
  } finally {
    await producer.disconnect();
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The Dapr API token or app API token of a function on the local stack (.stack/tokens/). */
export const tokenOf = (fn: FunctionName, kind: "dapr" | "app") =>
  readFileSync(join(stack().tokens, `${fn}-${kind}`), "utf8").trim();
