import { randomUUID } from "node:crypto";
import { CLOUDEVENT_TYPE, type EventType, type PayloadOf } from "@todo/shared";
import { DAY, HOUR, MINUTE, fromNow, isoAfter } from "./clock.ts";

/** A unique prefix per test run, so tests can find their own messages on shared topics. */
export const RUN_ID = randomUUID().slice(0, 8);
/** When this test file started, from the clock: every fixture time is relative to it, and the same on each call. */
export const FIXTURES_NOW = fromNow();

/**
 * A TaskCreated payload: created an hour before FIXTURES_NOW, its reminder a week after it (due half
 * an hour later), so that a reminder armed by it is PENDING whatever day the tests run.
 */
export function taskPayload(taskId: string, overrides: Partial<PayloadOf<"TaskCreated">["task"]> = {}) {
  return {
    user_id: "user-1",
    task: {
      id: taskId,
      title: "Buy milk",
      description: null,
      completed: false,
      priority: "medium" as const,
      tags: ["home"],
      due_date: isoAfter(FIXTURES_NOW, 7 * DAY + 30 * MINUTE),
      reminder_time: isoAfter(FIXTURES_NOW, 7 * DAY),
      created_at: isoAfter(FIXTURES_NOW, -HOUR),
      updated_at: isoAfter(FIXTURES_NOW, -HOUR),
      ...overrides,
    },
  };
}

export interface CloudEventRequest {
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Binary mode: attributes in ce-* headers, data as the body. */
export function binaryEvent(
  type: EventType,
  id: string,
  data: unknown,
  extra: Record<string, string> = {},
): CloudEventRequest {
  return {
    headers: {
      "content-type": "application/json",
      "ce-specversion": "1.0",
      "ce-id": id,
      "ce-source": "/todo/chat-api",
      "ce-type": CLOUDEVENT_TYPE[type],
      "ce-time": FIXTURES_NOW.toISOString(),
      ...extra,
    },
    body: JSON.stringify(data),
  };
}

/** Structured mode: the whole event as one JSON document. */
export function structuredEvent(
  type: EventType,
  id: string,
  data: unknown,
  extra: Record<string, unknown> = {},
): CloudEventRequest {
  return {
    headers: { "content-type": "application/cloudevents+json" },
    body: JSON.stringify({
      specversion: "1.0",
      id,
      source: "/todo/chat-api",
      type: CLOUDEVENT_TYPE[type],
      time: FIXTURES_NOW.toISOString(),
      data,
      ...extra,
    }),
  };
}

/**
 * A Kafka record as daprd delivers it for a rawPayload subscription (schedule-reminder's): the
 * record's bytes in a Dapr CloudEvent, where it came from in `__*` headers. The caller adds the
 * app API token.
 */
export function daprDelivery(
  record: Buffer,
  origin: { readonly topic: string; readonly partition: number; readonly offset: number; readonly key: string },
): CloudEventRequest {
  return {
    headers: {
      "content-type": "application/cloudevents+json",
      __topic: origin.topic,
      __partition: String(origin.partition),
      __offset: String(origin.offset),
      __key: encodeURIComponent(origin.key),
    },
    body: JSON.stringify({
      id: randomUUID(),
      specversion: "1.0",
      datacontenttype: "application/octet-stream",
      source: "Dapr",
      type: "com.dapr.event.sent",
      topic: "task-events",
      pubsubname: "kafka-pubsub",
      data_base64: record.toString("base64"),
    }),
  };
}

export function withoutHeader(request: CloudEventRequest, name: string): CloudEventRequest {
  return { ...request, headers: Object.fromEntries(Object.entries(request.headers).filter(([key]) => key !== name)) };
}
