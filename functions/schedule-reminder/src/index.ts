/** The function as func runs it: its settings, its database, its sidecars (handler.ts holds the logic). */
import { ReminderStore } from "@todo/reminder-store";
import {
  DaprSidecar,
  DeadLetters,
  RetryingRecords,
  createLogger,
  loadSettings,
  serveFunction,
  tracingFor,
} from "@todo/shared";
import { createHandler } from "./handler.ts";
import { exposeRetryingRecords } from "./metrics.ts";
import { SERVICE, settingsSchema } from "./settings.ts";

const settings = loadSettings(SERVICE, settingsSchema);
const log = createLogger(SERVICE, settings.LOG_LEVEL);
const clock = () => new Date();
const store = new ReminderStore(settings.DATABASE_URL);
const ownSidecar = new DaprSidecar({ endpoint: settings.DAPR_HTTP_ENDPOINT, apiToken: settings.DAPR_API_TOKEN });
const retrying = new RetryingRecords(log, clock);
exposeRetryingRecords(retrying);
const tracing = tracingFor(SERVICE, settings);

export const { init, handle, readiness, shutdown } = serveFunction({
  log,
  settings,
  handler: createHandler({
    settings,
    store,
    jobs: new DaprSidecar({
      endpoint: settings.REMINDER_JOBS_DAPR_ENDPOINT,
      apiToken: settings.REMINDER_JOBS_DAPR_API_TOKEN,
    }),
    deadLetters: new DeadLetters(ownSidecar, settings.DEAD_LETTER_PUBSUB, settings.DEAD_LETTER_TOPIC, SERVICE),
    retrying,
    clock,
    log,
    tracing,
  }),
  onShutdown: () => Promise.all([store.disconnect(), tracing.flush()]).then(() => undefined),
});
