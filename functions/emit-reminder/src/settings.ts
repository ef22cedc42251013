import { z } from "zod";
import {
  lifecycleSettings,
  loggingSettings,
  MIN_DEDUPLICATION_DAYS,
  milliseconds,
  name,
  refuseContradictingTiming,
  reminderFunctionSettings,
  reminderTimingSettings,
  tracingSettings,
  type ParsedSettings,
} from "@todo/shared";

export const SERVICE = "emit-reminder";

/** Every setting of emit-reminder, with its default; docs/configuration.md is generated from it. */
export const settingsSchema = (devMode: boolean) =>
  z
    .object({
      ...reminderFunctionSettings(devMode),
      PUBSUB_NAME: name("kafka-pubsub").describe("the Dapr pub/sub component ReminderDue is published through"),
      SWEEP_SCHEDULE: name("@every 1h").describe(
        "how often the sweep runs (a Dapr job schedule), and once at every start: it fires PENDING reminders whose job gave up, and prunes old rows",
      ),
      SWEEP_GRACE_MS: milliseconds(5_000).describe("the sweep fires only reminders at least this overdue"),
      FIRE_CLAIM_LEASE_MS: z.coerce
        .number()
        .int()
        .min(6_000, { message: "must be longer than a publish can take: at least 6000 ms" })
        .default(10_000)
        .describe(
          "whoever fires a reminder version first holds it this long; longer than a publish can take (the sidecar call times out after 5 s)",
        ),
      RETENTION_DAYS: z.coerce
        .number()
        .int()
        .min(MIN_DEDUPLICATION_DAYS, {
          message: `must be at least ${MIN_DEDUPLICATION_DAYS}: the retention of task-events plus that of task-events-dlq`,
        })
        .default(30)
        .describe(
          `ids of applied events and tombstones of deleted tasks are kept this long: a redelivery, or a dead letter replayed, within it is still recognised; at least the retention of task-events plus that of task-events-dlq (${MIN_DEDUPLICATION_DAYS} days)`,
        ),
      ...reminderTimingSettings,
      ...lifecycleSettings,
      ...loggingSettings,
      ...tracingSettings,
    })
    .superRefine(refuseContradictingTiming);

export type Settings = ParsedSettings<ReturnType<typeof settingsSchema>>;
