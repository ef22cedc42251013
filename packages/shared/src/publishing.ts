import { TOPICS, taskIdOf, type AnyEvent, type Topic } from "./contracts/events.ts";
import { toStructuredCloudEvent } from "./cloudevent.ts";
import type { SidecarOutcome, PublishRequest, Publisher } from "./dapr.ts";

/** Pure: one publish per topic of the event type, keyed by task id so each task's events stay in order. */
export function planPublishes(event: AnyEvent, pubsub: string, traceparent?: string): PublishRequest[] {
  const cloudEvent = toStructuredCloudEvent(event);
  return TOPICS[event.event_type].map((topic) => ({
    pubsub,
    topic,
    cloudEvent,
    partitionKey: taskIdOf(event),
    traceparent,
  }));
}

export type PublishAllOutcome = SidecarOutcome & { readonly topics: readonly Topic[] };

/**
 * Publishes the event to all its topics, stopping at the first failure. A failure after a success
 * means the caller retries the whole event; consumers de-duplicate by event_id.
 */
export async function publishEvent(
  publisher: Publisher,
  event: AnyEvent,
  pubsub: string,
  traceparent?: string,
): Promise<PublishAllOutcome> {
  const topics: Topic[] = [];
  for (const request of planPublishes(event, pubsub, traceparent)) {
    const outcome = await publisher.publish(request);
    if (!outcome.ok) return { ...outcome, topics };
    topics.push(request.topic as Topic);
  }
  return { ok: true, topics };
}
