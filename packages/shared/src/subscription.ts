import type { z } from "zod";
import { zodIssues } from "./cloudevent.ts";
import { fail, ok, type FunctionResponse, type Result } from "./problem.ts";

/** Dapr's pub/sub contract for HTTP subscribers: always 200, the verdict in the body. */
export type DeliveryStatus = "SUCCESS" | "RETRY" | "DROP";

export function deliveryAnswer(status: DeliveryStatus): FunctionResponse {
  return { statusCode: 200, headers: { "content-type": "application/json" }, body: { status } };
}

/**
 * Unwraps a message Dapr delivers from a subscription with `rawPayload: "true"`: Dapr wraps the
 * Kafka record's bytes, whatever they are, in a CloudEvent of its own (`data_base64`). We ask for
 * raw payloads so that even a broken record reaches our validation (and gets DROP -> dead letter)
 * instead of failing in the runtime's CloudEvent parsing and being retried forever.
 * The record itself must be a structured CloudEvent whose data matches `schema`.
 */
export function parseDaprDelivery<T>(body: unknown, schema: z.ZodType<T>): Result<T> {
  const wrapper = typeof body === "string" || Buffer.isBuffer(body) ? safeJson(String(body)) : body;
  const base64 = (wrapper as { data_base64?: unknown } | undefined)?.data_base64;
  if (typeof base64 !== "string") return fail({ path: "data_base64", message: "not a raw-payload delivery" });
  const record = safeJson(Buffer.from(base64, "base64").toString("utf8"));
  if (typeof record !== "object" || record === null) {
    return fail({ path: "record", message: "the Kafka record is not a JSON object" });
  }
  const parsed = schema.safeParse((record as { data?: unknown }).data);
  return parsed.success ? ok(parsed.data) : fail(...zodIssues(parsed.error, "data"));
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
