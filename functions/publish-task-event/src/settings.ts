import { z } from "zod";
import {
  lifecycleSettings,
  loggingSettings,
  name,
  secretList,
  sidecarSettings,
  tracingSettings,
  type ParsedSettings,
} from "@todo/shared";

export const SERVICE = "publish-task-event";

/** Every setting of publish-task-event, with its default; docs/configuration.md is generated from it. */
export const settingsSchema = (devMode: boolean) =>
  z.object({
    ...sidecarSettings(devMode),
    PUBLISH_API_TOKENS: secretList(devMode).describe(
      "bearer tokens of the clients allowed to post (the chat API), comma-separated to rotate (secret)",
    ),
    PUBSUB_NAME: name("kafka-pubsub").describe("the Dapr pub/sub component the events are published through"),
    ...lifecycleSettings,
    ...loggingSettings,
    ...tracingSettings,
  });

export type Settings = ParsedSettings<ReturnType<typeof settingsSchema>>;
