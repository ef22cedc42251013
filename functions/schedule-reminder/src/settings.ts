import { z } from "zod";
import {
  httpEndpoint,
  lifecycleSettings,
  loggingSettings,
  name,
  refuseContradictingTiming,
  reminderFunctionSettings,
  reminderTimingSettings,
  secret,
  tracingSettings,
  type ParsedSettings,
} from "@todo/shared";

export const SERVICE = "schedule-reminder";

/** Every setting of schedule-reminder, with its default; docs/configuration.md is generated from it. */
export const settingsSchema = (devMode: boolean) =>
  z
    .object({
      ...reminderFunctionSettings(devMode),
      REMINDER_JOBS_DAPR_ENDPOINT: httpEndpoint(devMode, "http://127.0.0.1:3500").describe(
        "emit-reminder's daprd: a job fires on the app-id whose sidecar created it, so reminder jobs are created there",
      ),
      REMINDER_JOBS_DAPR_API_TOKEN: secret(devMode).describe("the Dapr API token of emit-reminder's daprd (secret)"),
      DEAD_LETTER_PUBSUB: name("kafka-deadletters").describe(
        "the Dapr pub/sub component dead letters are written through (it passes record headers)",
      ),
      DEAD_LETTER_TOPIC: name("task-events-dlq").describe(
        "where a record that can never be applied goes, with its reason",
      ),
      ...reminderTimingSettings,
      ...lifecycleSettings,
      ...loggingSettings,
      ...tracingSettings,
    })
    .superRefine(refuseContradictingTiming);

export type Settings = ParsedSettings<ReturnType<typeof settingsSchema>>;
