import { counter, gauge, type RetryingRecords } from "@todo/shared";

export const metrics = {
  deliveries: counter("todo_deliveries_total", "Records Dapr delivered, by the answer given", ["outcome"]),
  deadLetters: counter("todo_dead_letters_total", "Records written to the dead-letter topic, by why", ["kind"]),
};

/** How long the oldest record Dapr keeps redelivering has been failing: a stalled partition shows here. */
export const exposeRetryingRecords = (retrying: RetryingRecords) =>
  gauge(
    "todo_oldest_retrying_record_seconds",
    "How long the oldest record still being retried has been failing",
    (g) => {
      g.set(retrying.oldestAgeSeconds());
    },
  );
