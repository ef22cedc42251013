import { Topic } from "./events.ts";

/** Where schedule-reminder writes the task-events records it can never apply. */
export const DEAD_LETTER_TOPIC = "task-events-dlq";

/** Partitions of every topic: each is consumed by one consumer at a time, in order. */
export const PARTITIONS = 3;

const DAY_MS = 24 * 3600_000;

/**
 * How long the broker keeps each topic's records. A record can be delivered again (a redelivery,
 * a consumer group reset) while it is on task-events, and replayed from the dead-letter topic while
 * it is there: schedule-reminder's memory of applied event ids and deleted tasks must outlast both
 * (emit-reminder's RETENTION_DAYS; docs/operations.md "Retention").
 */
export const TOPIC_RETENTION_DAYS: Readonly<Record<Topic | typeof DEAD_LETTER_TOPIC, number>> = {
  [Topic.taskEvents]: 7,
  [Topic.taskUpdates]: 7,
  [Topic.reminders]: 7,
  [DEAD_LETTER_TOPIC]: 14,
};

export const retentionMs = (topic: keyof typeof TOPIC_RETENTION_DAYS) => TOPIC_RETENTION_DAYS[topic] * DAY_MS;

/** The least RETENTION_DAYS may be: a redelivery or a replayed dead letter is still recognised. */
export const MIN_DEDUPLICATION_DAYS = TOPIC_RETENTION_DAYS[Topic.taskEvents] + TOPIC_RETENTION_DAYS[DEAD_LETTER_TOPIC];
