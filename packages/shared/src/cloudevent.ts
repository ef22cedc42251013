import { ValidationError } from "cloudevents";
import { validateCloudEvent } from "cloudevents/dist/event/spec.js";
import type { z } from "zod";
import {
  CLOUDEVENT_TYPE,
  Event,
  Payload,
  SCHEMA_VERSION,
  eventTypeOf,
  taskIdOf,
  type AnyEvent,
  type EventType,
} from "./contracts/events.ts";
import { Timestamp } from "./contracts/task.ts";
import { fail, ok, refuse, type Issue, type Result } from "./problem.ts";
import { validTraceparent } from "./trace-context.ts";

/** An HTTP request as the function runtime hands it over. */
export interface HttpMessage {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: unknown;
}

/** A validated event, plus the W3C trace context it came with. */
export interface ReceivedEvent<E extends AnyEvent = AnyEvent> {
  readonly event: E;
  readonly traceparent: string | undefined;
}

const STRUCTURED = "application/cloudevents+json";
const BATCH = "application/cloudevents-batch+json";
const MAX_NESTING = 32;
/** A producer clock may run this far ahead of ours; further is a broken clock, refused. */
export const MAX_CLOCK_AHEAD_MS = 5 * 60_000;
/** Where each envelope field comes from, to name the CloudEvent attribute when it is invalid. */
const ATTRIBUTE_OF: Record<string, string> = {
  event_id: "id",
  producer: "source",
  timestamp: "time",
  correlation_id: "correlationid",
};

/**
 * Turns an HTTP CloudEvent (binary or structured mode) into a validated event envelope.
 * Pure: `receivedAt` stands in for the event time when the producer sent no `time`.
 *
 * The mapping (documented in docs/architecture.md "Events"): `id` -> event_id, `type` -> event_type,
 * `source` -> producer, `time` -> timestamp, extension `correlationid` -> correlation_id
 * (defaults to the id), `subject` must equal the task id when given. The envelope built from
 * them is checked with the very schema the consumers apply, so what is accepted here is
 * accepted there.
 */
export function parseCloudEvent(
  message: HttpMessage,
  accepted: readonly EventType[],
  receivedAt: Date,
): Result<ReceivedEvent> {
  const headers = lowerCaseHeaders(message.headers);
  const contentType = (headers["content-type"] ?? "").toLowerCase();
  if (contentType.startsWith(BATCH)) {
    return refuse(415, {
      path: "content-type",
      message: `batch mode (${BATCH}) is not supported: post one CloudEvent per request, so that each gets its own answer and can be retried on its own`,
    });
  }
  const structured = contentType.startsWith(STRUCTURED);
  if (!structured && contentType.startsWith("application/cloudevents")) {
    return refuse(415, { path: "content-type", message: `structured mode must be ${STRUCTURED}` });
  }
  if (!structured && headers["ce-id"] === undefined) {
    return fail({
      path: "headers",
      message: `not a CloudEvent: send ce-* headers (binary mode) or content-type ${STRUCTURED} (structured mode)`,
    });
  }

  // No event of ours nests deeper than a few levels; a deeper document is refused before any
  // recursive code (the SDK, the schemas, JSON.stringify) walks it and runs out of stack.
  const tooDeep = (value: unknown) =>
    nestingDepth(value) > MAX_NESTING
      ? fail({ path: "body", message: `JSON nested deeper than ${MAX_NESTING} levels` })
      : undefined;
  const tooDeepBody = tooDeep(message.body);
  if (tooDeepBody) return tooDeepBody;
  const body = structured
    ? parseJsonObject(message.body)
    : ok(Buffer.isBuffer(message.body) ? message.body.toString("utf8") : message.body);
  if (!body.ok) return body;
  const tooDeepEvent = structured ? tooDeep(body.value) : undefined;
  if (tooDeepEvent) return tooDeepEvent;
  // The SDK invents an id (and a time) when a structured event has none, and reads a time without
  // an offset in the server's zone; we look at what the producer really sent.
  const sentValue = (attribute: string): unknown =>
    structured ? (body.value as Record<string, unknown>)[attribute] : headers[`ce-${attribute}`];
  if (typeof sentValue("id") !== "string") {
    return fail({ path: "id", message: "required CloudEvent attribute is missing" });
  }
  // The SDK reads other versions as 1.0; we only speak 1.0.
  if (sentValue("specversion") !== "1.0") {
    return fail({ path: "specversion", message: `must be "1.0", got ${JSON.stringify(sentValue("specversion"))}` });
  }
  const sentTime = sentValue("time");
  const time = sentTime === undefined ? ok(receivedAt.toISOString()) : checkTime(sentTime, receivedAt);
  if (!time.ok) return time;

  const cloudEvent = readCloudEvent(headers, body.value, structured);
  if (!cloudEvent.ok) return cloudEvent;
  const ce = cloudEvent.value;

  const eventType = eventTypeOf(ce.type);
  if (eventType === undefined || !accepted.includes(eventType)) {
    const expected = accepted.map((t) => CLOUDEVENT_TYPE[t]).join(", ");
    return fail({ path: "type", message: `unknown event type "${ce.type}"; expected one of ${expected}` });
  }
  if (ce.datacontenttype !== undefined && !ce.datacontenttype.startsWith("application/json")) {
    return refuse(415, { path: "datacontenttype", message: `must be application/json, got "${ce.datacontenttype}"` });
  }
  const data = parseData(ce.data);
  if (!data.ok) return data;
  const payload = Payload[eventType].safeParse(data.value);
  if (!payload.success) return fail(...zodIssues(payload.error, "data"));

  const envelope = Event[eventType].safeParse({
    event_id: ce.id,
    event_type: eventType,
    schema_version: SCHEMA_VERSION,
    timestamp: time.value,
    correlation_id: stringExtension(ce, "correlationid") ?? ce.id,
    producer: ce.source,
    ...payload.data,
  });
  if (!envelope.success) {
    return fail(
      ...envelope.error.issues.map((issue) => {
        const field = String(issue.path[0]);
        return { path: ATTRIBUTE_OF[field] ?? ["data", ...issue.path.map(String)].join("."), message: issue.message };
      }),
    );
  }
  const event = envelope.data;
  if (ce.subject !== undefined && ce.subject !== taskIdOf(event)) {
    return fail({ path: "subject", message: `must equal the task id "${taskIdOf(event)}"` });
  }
  return ok({ event, traceparent: validTraceparent(headers["traceparent"] ?? stringExtension(ce, "traceparent")) });
}

/** The producer's `time`: RFC 3339 with an offset, and not from a clock running far ahead of ours. */
function checkTime(sent: unknown, receivedAt: Date): Result<string> {
  const parsed = Timestamp.safeParse(sent);
  if (!parsed.success) {
    return fail({ path: "time", message: "must be an RFC 3339 date-time with an offset (Z or +hh:mm)" });
  }
  const at = new Date(parsed.data);
  const aheadMs = at.getTime() - receivedAt.getTime();
  if (aheadMs > MAX_CLOCK_AHEAD_MS) {
    return fail({
      path: "time",
      message: `is ${Math.round(aheadMs / 1000)} s ahead of this server's clock (at most ${MAX_CLOCK_AHEAD_MS / 1000} s): check the producer's clock`,
    });
  }
  return ok(at.toISOString());
}

/** The structured CloudEvent a function publishes: attributes mirror the envelope, data is the envelope. */
export function toStructuredCloudEvent(event: AnyEvent): Record<string, unknown> {
  return {
    specversion: "1.0",
    id: event.event_id,
    source: event.producer,
    type: CLOUDEVENT_TYPE[event.event_type],
    subject: taskIdOf(event),
    time: event.timestamp,
    datacontenttype: "application/json",
    correlationid: event.correlation_id,
    data: event,
  };
}

export function zodIssues(error: z.ZodError, prefix: string): Issue[] {
  return error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].join("."),
    message: issue.message,
  }));
}

/** What parseCloudEvent reads of a CloudEvent: its attributes, extensions included, and its data. */
interface CloudEventAttributes {
  readonly id: string;
  readonly source: string;
  readonly type: string;
  readonly subject?: string;
  readonly datacontenttype?: string;
  readonly data?: unknown;
}

/** Attributes no ce-* header may carry: the data is the body. */
const DATA_ATTRIBUTES = new Set(["data", "data_base64"]);
const CONTEXT_ATTRIBUTES = new Set([
  "specversion",
  "id",
  "source",
  "type",
  "subject",
  "time",
  "datacontenttype",
  "dataschema",
  "data",
]);

/**
 * The CloudEvent as sent, read without building the SDK's CloudEvent object (which clones and
 * freezes the event and builds errors it throws away: two thirds of this parse's CPU, bench
 * levers): its attributes from the ce-* headers (binary mode) or the JSON document (structured
 * mode), checked as the SDK checks them - attribute names of lower-case letters and digits,
 * extension values of the CloudEvents type system, and the SDK's own JSON schema of CloudEvents
 * 1.0 (validateCloudEvent).
 */
function readCloudEvent(
  headers: Record<string, string>,
  body: unknown,
  structured: boolean,
): Result<CloudEventAttributes> {
  const attributes: Record<string, unknown> = {};
  if (structured) {
    Object.assign(attributes, body);
    if (typeof attributes["data_base64"] === "string") {
      attributes["data"] = Buffer.from(attributes["data_base64"], "base64");
    }
    delete attributes["data_base64"];
  } else {
    for (const [name, value] of Object.entries(headers)) {
      if (!name.startsWith("ce-")) continue;
      const attribute = name.slice(3);
      if (DATA_ATTRIBUTES.has(attribute)) return invalid(`invalid attribute name: "${attribute}"`);
      attributes[attribute] = value;
    }
    if (headers["content-type"] !== undefined) attributes["datacontenttype"] = headers["content-type"];
    attributes["data"] = body;
  }
  for (const [name, value] of Object.entries(attributes)) {
    if (!/^[a-z0-9]+$/.test(name)) return invalid(`invalid attribute name: "${name}"`);
    if (!CONTEXT_ATTRIBUTES.has(name) && typeof value === "number" && !Number.isInteger(value)) {
      return invalid(`invalid extension value: ${value}`);
    }
  }
  try {
    validateCloudEvent(attributes as unknown as Parameters<typeof validateCloudEvent>[0]);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const details = (error.errors ?? []).map((e) => (typeof e === "string" ? e : JSON.stringify(e)));
    return invalid([error.message, ...details].join("; "));
  }
  return ok(attributes as unknown as CloudEventAttributes);
}

const invalid = (message: string) => fail({ path: "cloudevent", message });

function parseJsonObject(body: unknown): Result<object> {
  if (typeof body === "object" && body !== null && !Buffer.isBuffer(body)) return ok(body);
  try {
    const value: unknown = JSON.parse(bodyAsText(body));
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return ok(value);
    return fail({ path: "body", message: "a structured CloudEvent must be a JSON object" });
  } catch (error) {
    return fail({ path: "body", message: `malformed JSON: ${(error as Error).message}` });
  }
}

function parseData(data: unknown): Result<unknown> {
  if (data === undefined || data === null || data === "") {
    return fail({ path: "data", message: "the event has no data" });
  }
  if (typeof data !== "string" && !Buffer.isBuffer(data)) return ok(data);
  try {
    return ok(JSON.parse(bodyAsText(data)));
  } catch (error) {
    return fail({ path: "data", message: `malformed JSON: ${(error as Error).message}` });
  }
}

/** How deep objects and arrays nest in a parsed JSON value (iterative: safe on any depth). */
export function nestingDepth(value: unknown): number {
  let deepest = 0;
  const pending: [unknown, number][] = [[value, 0]];
  while (pending.length > 0) {
    const [current, depth] = pending.pop()!;
    if (typeof current !== "object" || current === null || Buffer.isBuffer(current)) continue;
    deepest = Math.max(deepest, depth + 1);
    for (const child of Object.values(current)) pending.push([child, depth + 1]);
  }
  return deepest;
}

function bodyAsText(body: unknown): string {
  if (typeof body === "string") return body;
  if (Buffer.isBuffer(body)) return body.toString("utf8");
  if (body === undefined || body === null) return "";
  return JSON.stringify(body);
}

function stringExtension(ce: CloudEventAttributes, name: string): string | undefined {
  const value = (ce as unknown as Record<string, unknown>)[name];
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

function lowerCaseHeaders(headers: HttpMessage["headers"]): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) result[name.toLowerCase()] = Array.isArray(value) ? value.join(",") : value;
  }
  return result;
}
