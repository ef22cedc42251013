/**
 * W3C trace context, carried from the POST that created an event to the ReminderDue it leads to:
 * through Dapr's publish (header), the Kafka record and the delivery (Dapr passes it on), and the
 * reminder job (its payload: jobs keep no trace context of their own).
 */
const TRACEPARENT = /^[\da-f]{2}-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}$/;

/** The value if it is a well-formed `traceparent` (`00-<trace-id>-<span-id>-<flags>`), else undefined. */
export function validTraceparent(value: unknown): string | undefined {
  return typeof value === "string" && TRACEPARENT.test(value) ? value : undefined;
}

/** The trace id inside a traceparent, for log lines. */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  return traceparent?.split("-")[1];
}
