import type { DaprDelivery } from "./dapr-delivery.ts";
import type { DaprSidecar, SidecarOutcome } from "./dapr.ts";

/** Record headers a dead letter carries, so that `npm run dlq -- list` can say why it is there. */
export const DEAD_LETTER_HEADERS = { reason: "dlq-reason", origin: "dlq-origin", consumer: "dlq-consumer" } as const;

/** Where a consumer puts the records it can never process; small so tests can fake it. */
export interface DeadLetterWriter {
  send(delivery: DaprDelivery, reason: string): Promise<SidecarOutcome>;
}

/**
 * Writes records a consumer can never process to its dead-letter topic, byte for byte, with the
 * reason and origin as record headers. Goes through its own pub/sub component
 * (dapr/components/kafka-deadletters.yaml): the consuming component passes no record headers to or
 * from the app, since a record's headers become HTTP headers on the way in.
 */
export class DeadLetters implements DeadLetterWriter {
  private readonly sidecar: Pick<DaprSidecar, "publishRaw">;
  private readonly pubsub: string;
  private readonly topic: string;
  private readonly consumer: string;

  constructor(sidecar: Pick<DaprSidecar, "publishRaw">, pubsub: string, topic: string, consumer: string) {
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
