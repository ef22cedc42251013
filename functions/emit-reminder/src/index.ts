/** The function as func runs it: its settings, its database, its sidecar (handler.ts holds the logic). */
import { setTimeout as sleep } from "node:timers/promises";
import { ReminderStore } from "@todo/reminder-store";
import { DaprSidecar, createLogger, loadSettings, serveFunction, tracingFor } from "@todo/shared";
import { SWEEP_JOB, createHandler } from "./handler.ts";
import { SERVICE, settingsSchema } from "./settings.ts";

const settings = loadSettings(SERVICE, settingsSchema);
const log = createLogger(SERVICE, settings.LOG_LEVEL);
const store = new ReminderStore(settings.DATABASE_URL);
const sidecar = new DaprSidecar({ endpoint: settings.DAPR_HTTP_ENDPOINT, apiToken: settings.DAPR_API_TOKEN });
const tracing = tracingFor(SERVICE, settings);

/**
 * (Re)creates the recurring sweep job, first due now: so each start also sweeps. The sidecar may
 * start after us (locally it does), so keep trying for a while.
 */
async function ensureSweepJob(): Promise<void> {
  for (let attempt = 1; attempt <= 60; attempt++) {
    if ((await sidecar.scheduleRecurringJob(SWEEP_JOB, settings.SWEEP_SCHEDULE, {})).ok) return;
    await sleep(1000);
  }
  log.error("could not schedule the reminder sweep job");
}

export const { init, handle, readiness, shutdown } = serveFunction({
  log,
  settings,
  handler: createHandler({
    settings,
    store,
    publisher: sidecar,
    clock: () => new Date(),
    sleep: (ms) => sleep(ms),
    log,
    tracing,
  }),
  receivesJobTriggers: true,
  onStart: () => void ensureSweepJob(),
  onShutdown: () => Promise.all([store.disconnect(), tracing.flush()]).then(() => undefined),
});
