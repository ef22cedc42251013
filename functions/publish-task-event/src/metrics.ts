import { counter, histogram } from "@todo/shared";

export const metrics = {
  accepted: counter("todo_events_accepted_total", "Task events published (202), by event type", ["type"]),
  publishSeconds: histogram(
    "todo_publish_duration_seconds",
    "From a valid request to Dapr's confirmation that the broker stored it",
    [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
  ),
};
