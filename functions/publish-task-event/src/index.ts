/** The function as func runs it: its settings, its sidecar, its lifecycle (handler.ts holds the logic). */
import { DaprSidecar, createLogger, loadSettings, serveFunction, tracingFor } from "@todo/shared";
import { createHandler } from "./handler.ts";
import { SERVICE, settingsSchema } from "./settings.ts";

const settings = loadSettings(SERVICE, settingsSchema);
const log = createLogger(SERVICE, settings.LOG_LEVEL);
const publisher = new DaprSidecar({ endpoint: settings.DAPR_HTTP_ENDPOINT, apiToken: settings.DAPR_API_TOKEN });
const tracing = tracingFor(SERVICE, settings);

export const { init, handle, readiness, shutdown } = serveFunction({
  log,
  settings,
  handler: createHandler({ settings, publisher, clock: () => new Date(), log, tracing }),
  onShutdown: () => tracing.flush(),
});
