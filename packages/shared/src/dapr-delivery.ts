import type { z } from "zod";
import { READABLE_SCHEMA_VERSIONS } from "./contracts/events.ts";
import { zodIssues } from "./cloudevent.ts";
import { fail, ok, type FunctionResponse, type Issue, type Result } from "./problem.ts";
import { validTraceparent } from "./trace-context.ts";

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
  /**
   * The trace context daprd delivered it with, if any. For a raw payload daprd cannot read the
   * record's own trace context and starts a new trace: the record's is in parseRecord's answer.
   */
  readonly traceparent: string | undefined;
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
  return ok({
    record: Buffer.from(base64, "base64"),
    key: unescaped("__key"),
    origin,
    traceparent: validTraceparent(header(headers, "traceparent")),
  });
}

/** Why a record cannot be read: its major schema version is unknown here, or it is simply invalid. */
export type RecordProblem = "unsupported schema version" | "invalid";

/**
 * The record must be a structured CloudEvent whose data matches `schema`. A major schema version
 * this code does not read is named as such: the record may be valid for a newer consumer. A valid
 * record comes with its trace context (the CloudEvent's `traceparent`, which Dapr's publish set).
 */
export function parseRecord<T>(
  record: Buffer,
  schema: z.ZodType<T>,
): Result<T> & { readonly problem?: RecordProblem; readonly traceparent?: string } {
  const value = safeJson(record.toString("utf8"));
  if (typeof value !== "object" || value === null) {
    return { ...fail({ path: "record", message: "the Kafka record is not a JSON object" }), problem: "invalid" };
  }
  const data = (value as { data?: unknown }).data;
  const version = (data as { schema_version?: unknown } | undefined)?.schema_version;
  if (typeof version === "number" && !READABLE_SCHEMA_VERSIONS.includes(version)) {
    return {
      ...fail({
        path: "data.schema_version",
        message: `unsupported schema version ${version} (this consumer reads ${READABLE_SCHEMA_VERSIONS.join(", ")})`,
      }),
      problem: "unsupported schema version",
    };
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) return { ...fail(...zodIssues(parsed.error, "data")), problem: "invalid" };
  const traceparent = validTraceparent((value as { traceparent?: unknown }).traceparent);
  return traceparent === undefined ? ok(parsed.data) : { ...ok(parsed.data), traceparent };
}

export const describeIssues = (issues: readonly Issue[]): string =>
  issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ");

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** One entry of a bulk delivery: its id (the answer names it) and the record, or why it is not one. */
export interface BulkEntry {
  readonly entryId: string;
  readonly delivery: Result<DaprDelivery>;
}

/**
 * Unwraps a bulk delivery (subscription `bulkSubscribe.enabled`, rawPayload): Dapr posts
 * `{entries: [{entryId, event, metadata}]}`, each `event` the record's bytes in base64 and each
 * `metadata` the record's `__key`, `__topic`, `__partition`, `__offset` (URL-escaped, as the
 * headers of a single delivery). The entries of one delivery come from one partition, in order.
 * Undefined when the body is not a bulk delivery.
 */
export function unwrapBulkDelivery(body: unknown): readonly BulkEntry[] | undefined {
  const entries = (body as { entries?: unknown } | undefined)?.entries;
  if (typeof body !== "object" || body === null || !Array.isArray(entries)) return undefined;
  return entries.map((entry: unknown, i): BulkEntry => {
    const { entryId, event, metadata } = (entry ?? {}) as { entryId?: unknown; event?: unknown; metadata?: unknown };
    const id = typeof entryId === "string" ? entryId : String(i);
    if (typeof event !== "string") {
      return { entryId: id, delivery: fail({ path: "event", message: "not a raw-payload entry" }) };
    }
    const meta = (typeof metadata === "object" && metadata !== null ? metadata : {}) as Record<string, unknown>;
    const headers = Object.fromEntries(
      Object.entries(meta).filter((e): e is [string, string] => typeof e[1] === "string"),
    );
    return { entryId: id, delivery: unwrapDaprDelivery({ data_base64: event }, headers) };
  });
}

/** Dapr's answer to a bulk delivery: always 200, one status per entry. */
export function bulkAnswer(statuses: readonly { entryId: string; status: DeliveryStatus }[]): FunctionResponse {
  return { statusCode: 200, headers: { "content-type": "application/json" }, body: { statuses } };
}
