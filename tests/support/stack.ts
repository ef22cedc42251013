import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  consumedToEnd,
  produce,
  readToEnd,
  waitForRecords,
  type RecordToSend,
  type TopicRecord,
} from "../../scripts/kafka-topics.ts";
import type { CloudEventRequest } from "./fixtures.ts";

export type { TopicRecord };
export type FunctionName = "publish-task-event" | "schedule-reminder" | "emit-reminder";

export interface StackInfo {
  readonly kafka: string;
  readonly databaseUrl: string;
  readonly stackScript: string;
  readonly stackDir: string;
  readonly logs: string;
  readonly run: string;
  readonly tokens: string;
  readonly memoryLimitsMb: Record<FunctionName, number>;
  /** Each function's URL, its daprd's HTTP API and its daprd's Prometheus metrics (/metrics). */
  readonly functions: Record<
    FunctionName,
    { readonly url: string; readonly dapr: string; readonly daprMetrics: string }
  >;
}

/** The stack under test: STACK_DIR (test.sh sets its own), else the default one of demo.sh. */
export const STACK_DIR = process.env["STACK_DIR"] ?? join(import.meta.dirname, "..", "..", ".stack");
export const STACK_FILE = join(STACK_DIR, "stack.json");

let info: StackInfo | undefined;
/** Where the running local stack listens (written by `hack/stack.sh up`). */
export function stack(): StackInfo {
  info ??= JSON.parse(readFileSync(STACK_FILE, "utf8")) as StackInfo;
  return info;
}

/** Starts, stops or kill -9s one process of the stack (kafka, postgres, <function>, <function>-dapr, ...). */
export async function stackCtl(action: "start" | "stop" | "kill", name: string): Promise<void> {
  await promisify(execFile)(stack().stackScript, [action, name], {
    timeout: 120_000,
    env: { ...process.env, STACK_DIR: stack().stackDir },
  });
}

/** Stops (down) or starts (up) the whole local stack, as `hack/stack.sh` does; data is kept. */
export async function stackAll(action: "up" | "down"): Promise<void> {
  await promisify(execFile)(stack().stackScript, [action], {
    timeout: 300_000,
    env: { ...process.env, STACK_DIR: stack().stackDir },
  });
}

/** The Dapr API token, app API token or client token of a function on the local stack. */
export const tokenOf = (fn: FunctionName, kind: "dapr" | "app" | "clients") =>
  readFileSync(join(stack().tokens, `${fn}-${kind}`), "utf8").trim();

/** What a client of publish-task-event sends to authenticate (RFC 6750 bearer token). */
export const clientAuthorization = () => ({ authorization: `Bearer ${tokenOf("publish-task-event", "clients")}` });

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

/**
 * POSTs a request to a function; to publish-task-event with the client's bearer token unless the
 * request says otherwise (`authenticated: false`).
 */
export function post(
  fn: FunctionName,
  request: CloudEventRequest,
  { authenticated = true, method = "POST" }: { authenticated?: boolean; method?: string } = {},
): Promise<HttpAnswer> {
  const headers = {
    ...(authenticated && fn === "publish-task-event" ? clientAuthorization() : {}),
    ...request.headers,
  };
  return httpCall(stack().functions[fn].url, method, headers, request.body);
}

/**
 * One HTTP request, by plain node:http rather than fetch: when a server refuses a request before
 * reading its body (a 413, a 415) it answers and closes while the body is still being written;
 * fetch then reports only the broken pipe, while here the answer that did arrive wins.
 */
export function httpCall(
  url: string,
  method: string,
  headers: Record<string, string>,
  body: string | Buffer,
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const outgoing = httpRequest(url, { method, headers }, (response) => {
      answered = true;
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let parsed: Record<string, unknown>;
        try {
          parsed = JSON.parse(text) as Record<string, unknown>;
        } catch {
          parsed = { text };
        }
        const answerHeaders = new Headers();
        for (const [name, value] of Object.entries(response.headers)) {
          if (value !== undefined) answerHeaders.set(name, Array.isArray(value) ? value.join(", ") : value);
        }
        resolve({ status: response.statusCode ?? 0, headers: answerHeaders, body: parsed });
      });
      response.on("error", reject);
    });
    outgoing.on("error", (error) => {
      // The answer may still be on its way in when the write side breaks: give it a moment.
      setTimeout(() => {
        if (!answered) reject(error);
      }, 200);
    });
    outgoing.end(body);
  });
}

/** Every record of `topic` that matches, up to the topic's end as it stands now: a complete read. */
export const readTopicToEnd = (topic: string, matches: (record: TopicRecord) => boolean) =>
  readToEnd(stack().kafka, topic, matches);

/** The records that match, read until `enough` holds or `timeoutMs` passes (then what arrived). */
export const waitForTopic = (
  topic: string,
  matches: (record: TopicRecord) => boolean,
  options: { enough: (records: TopicRecord[]) => boolean; timeoutMs: number },
) => waitForRecords(stack().kafka, topic, matches, options);

/**
 * Waits until schedule-reminder (consumer group schedule-reminder: its app-id) has processed every record now on
 * task-events: after that, what it did not write to the database, it never will.
 */
export const consumerCaughtUp = async () => {
  if (!(await consumedToEnd(stack().kafka, "schedule-reminder", "task-events", 30_000))) {
    throw new Error("schedule-reminder did not process task-events to its end within 30 s");
  }
};

/** Writes records straight to a topic, as a misbehaving producer would. */
export const produceRaw = (topic: string, records: readonly RecordToSend[]) => produce(stack().kafka, topic, records);

/** The CloudEvent id of a record on a topic; records that are no CloudEvent have none: "". */
export const cloudEventId = (record: TopicRecord) => {
  const id = record.value["id"];
  return typeof id === "string" ? id : "";
};

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The value of one series on a function's /metrics (Prometheus text), 0 when it is absent. */
export async function functionMetric(
  fn: FunctionName,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const text = await (await fetch(`${stack().functions[fn].url}/metrics`)).text();
  const matching = text
    .split("\n")
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .filter((line) => Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`)));
  return matching.reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(" ") + 1)), 0);
}

/** Sends a Dapr job trigger to emit-reminder as its daprd would (POST /job/<name>, its app API token). */
export const triggerJob = (name: string, data: unknown) =>
  httpCall(
    `${stack().functions["emit-reminder"].url}/job/${name}`,
    "POST",
    { "content-type": "application/json", "dapr-api-token": tokenOf("emit-reminder", "app") },
    JSON.stringify(data),
  );
