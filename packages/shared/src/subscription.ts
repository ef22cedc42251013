import type { z } from "zod";
import { zodIssues } from "./cloudevent.ts";
import type { DaprSidecar, SidecarOutcome } from "./dapr.ts";
import { fail, ok, type FunctionResponse, type Issue, type Result } from "./problem.ts";

/** Dapr's pub/sub contract for HTTP subscribers: always 200, the verdict in the body. */
export type DeliveryStatus = "SUCCESS" | "RETRY" | "DROP";

export function deliveryAnswer(status: DeliveryStatus): FunctionResponse {
  return { statusCode: 200, headers: { "content-type": "application/json" }, body: { status } };
}

/** One Kafka record as Dapr delivers it, and where it came from. */
export interface DaprDelivery {
  /** The record's value, byte for byte. */
  readonly record: Buffer;
  readonly key: string | undefined;
  /** `topic/partition@offset`, for logs and dead letters. */
  readonly origin: string;
}

type Headers = Readonly<Record<string, string | string[] | undefined>>;
const header = (headers: Headers, name: string) => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/**
 * Unwraps a message Dapr delivers from a subscription with `rawPayload: "true"`: Dapr wraps the
 * Kafka record's bytes, whatever they are, in a CloudEvent of its own (`data_base64`), and sends
 * the record's key, topic, partition and offset as `__key`, `__topic`, `__partition`, `__offset`
 * headers (values URL-escaped: component metadata `escapeHeaders`). We ask for raw payloads so
 * that even a broken record reaches our validation instead of failing in Dapr or the runtime.
 */
export function unwrapDaprDelivery(body: unknown, headers: Headers): Result<DaprDelivery> {
  const wrapper = typeof body === "string" || Buffer.isBuffer(body) ? safeJson(body.toString()) : body;
  const base64 = (wrapper as { data_base64?: unknown } | undefined)?.data_base64;
  if (typeof base64 !== "string") return fail({ path: "data_base64", message: "not a raw-payload delivery" });
  const unescaped = (name: string) => {
    const value = header(headers, name);
    if (value === undefined) return undefined;
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  };
  const origin = `${unescaped("__topic") ?? "?"}/${unescaped("__partition") ?? "?"}@${unescaped("__offset") ?? "?"}`;
  return ok({ record: Buffer.from(base64, "base64"), key: unescaped("__key"), origin });
}

/** The record must be a structured CloudEvent whose data matches `schema`. */
export function parseRecord<T>(record: Buffer, schema: z.ZodType<T>): Result<T> {
  const value = safeJson(record.toString("utf8"));
  if (typeof value !== "object" || value === null) {
    return fail({ path: "record", message: "the Kafka record is not a JSON object" });
  }
  const parsed = schema.safeParse((value as { data?: unknown }).data);
  return parsed.success ? ok(parsed.data) : fail(...zodIssues(parsed.error, "data"));
}

export const describeIssues = (issues: readonly Issue[]): string =>
  issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ");

/** Record headers a dead letter carries, so that `npm run dlq -- list` can say why it is there. */
export const DEAD_LETTER_HEADERS = { reason: "dlq-reason", origin: "dlq-origin", consumer: "dlq-consumer" } as const;

/**
 * Writes records a consumer can never process to its dead-letter topic, byte for byte, with the
 * reason and origin as record headers. Goes through its own pub/sub component
 * (dapr/components/kafka-deadletters.yaml): the consuming component passes no record headers to or
 * from the app, since a record's headers become HTTP headers on the way in.
 */
export class DeadLetters {
  private readonly sidecar: DaprSidecar;
  private readonly pubsub: string;
  private readonly topic: string;
  private readonly consumer: string;

  constructor(sidecar: DaprSidecar, pubsub: string, topic: string, consumer: string) {
    this.sidecar = sidecar;
    this.pubsub = pubsub;
    this.topic = topic;
    this.consumer = consumer;
  }

  send(delivery: DaprDelivery, reason: string): Promise<SidecarOutcome> {
    return this.sidecar.publishRaw({
      pubsub: this.pubsub,
      topic: this.topic,
      bytes: delivery.record,
      partitionKey: delivery.key,
      headers: {
        [DEAD_LETTER_HEADERS.reason]: reason.slice(0, 1000),
        [DEAD_LETTER_HEADERS.origin]: delivery.origin,
        [DEAD_LETTER_HEADERS.consumer]: this.consumer,
      },
    });
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
