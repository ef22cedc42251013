/**
 * emit-reminder: fires when a reminder is due. Its triggers are Dapr jobs owned by this app-id
 * (`POST /job/reminder-<task>`, and `POST /job/reminder-sweep` now and then): it claims the
 * reminder's version, publishes its ReminderDue to `reminders`, then marks that version SENT.
 * Claim first: two triggers of one version that meet (the job and the sweep, two retries, two
 * pods) publish it once. Publish before marking: a crash in between leaves it PENDING, and once the
 * claim runs out the retried trigger (or the sweep) publishes the identical event again rather
 * than losing it.
 */
import type { ReminderState, ReminderStore } from "@todo/reminder-store";
import {
  ReminderTrigger,
  classifyFailure,
  jobNameOf,
  problem,
  publishEvent,
  refuseUnlessFromSidecar,
  refused,
  throwUnlessOk,
  validTraceparent,
  type FunctionResponse,
  type Handler,
  type Logger,
  type Publisher,
  type Tracing,
} from "@todo/shared";
import { metrics } from "./metrics.ts";
import { judgeTrigger, reminderDueEvent } from "./reminder-due.ts";
import type { Settings } from "./settings.ts";

export const SWEEP_JOB = "reminder-sweep";
/** A trigger ahead of the database checks again this often, this many times, before a 503. */
const EARLY_LOOK_EVERY_MS = 100;
const EARLY_LOOKS = 10;
/** Rows pruned per kind per sweep: a long backlog goes over several sweeps, in short statements. */
const PRUNE_BATCH = 5_000;
const DAY_MS = 24 * 3600_000;

export interface Dependencies {
  readonly settings: Pick<
    Settings,
    | "APP_API_TOKEN"
    | "PUBSUB_NAME"
    | "MAX_WAIT_AHEAD_MS"
    | "ORPHAN_AFTER_MS"
    | "SWEEP_GRACE_MS"
    | "FIRE_CLAIM_LEASE_MS"
    | "RETENTION_DAYS"
  >;
  readonly store: Pick<ReminderStore, "find" | "claim" | "markSent" | "overdue" | "prune">;
  readonly publisher: Publisher;
  readonly clock: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  readonly log: Logger;
  readonly tracing: Tracing;
}

export function createHandler({ settings, store, publisher, clock, sleep, log, tracing }: Dependencies): Handler {
  return async (context) => {
    const notFromSidecar = refuseUnlessFromSidecar(context.headers, settings.APP_API_TOKEN);
    if (notFromSidecar) return refused(notFromSidecar, "authentication");
    const job = jobNameOf(context.query);
    if (job === SWEEP_JOB) return answerFailures(sweep());
    const detail = "expected POST /job/<name> from Dapr with {task_id, version}";
    if (job === undefined) return refused(problem(400, "not a reminder trigger", { detail }), "not-a-trigger");
    const trigger = ReminderTrigger.safeParse(context.body);
    if (!trigger.success) {
      // A job whose payload can never be read: a 4xx would make the scheduler retry it for its
      // whole retry window, waking this function every few seconds for nothing. Stop it, loudly.
      log.error({ job, issues: trigger.error.issues }, "a job trigger that can never fire: given up");
      return refused(
        { statusCode: 200, headers: {}, body: { fired: false, reason: "unreadable trigger" } },
        "unreadable-trigger",
      );
    }
    const parent = validTraceparent(trigger.data.traceparent);
    return tracing.inSpan("fire reminder", "consumer", parent, (traceparent) =>
      answerFailures(fireIfCurrent(trigger.data, traceparent)),
    );
  };

  /**
   * A failure that can pass (database or broker unavailable) answers 503, so that Dapr retries the
   * trigger; one that never will answers 200 "not fired" and is logged as an error, so that the
   * trigger stops instead of retrying for the job's whole retry window.
   */
  async function answerFailures(work: Promise<FunctionResponse>): Promise<FunctionResponse> {
    try {
      return await work;
    } catch (error) {
      const failure = classifyFailure(error);
      if (failure.kind === "transient") {
        log.warn({ reason: failure.reason, hint: failure.hint }, "trigger failed: Dapr will retry it");
        return problem(503, "reminder not fired yet", { detail: failure.reason, retryAfterSeconds: 2 });
      }
      log.error({ reason: failure.reason }, "trigger can never fire: given up");
      return { statusCode: 200, headers: {}, body: { fired: false, reason: failure.reason } };
    }
  }

  /**
   * Fires the trigger's reminder if it is still the one to fire. A trigger ahead of the reminder
   * time (it woke this function from zero) waits for it, at most MAX_WAIT_AHEAD_MS in all, then
   * checks again: the reminder may have moved or been cancelled meanwhile. A trigger ahead of the
   * database (a past reminder's job fires at once, and can beat the commit that armed it) checks
   * again a few times, briefly, before it asks the scheduler to retry.
   */
  async function fireIfCurrent(trigger: ReminderTrigger, traceparent?: string): Promise<FunctionResponse> {
    let waitedMs = 0;
    for (let early = 0; ;) {
      const reminder = await store.find(trigger.task_id);
      const judged = judgeTrigger(reminder, trigger, clock(), settings.ORPHAN_AFTER_MS);
      if (judged.verdict === "fire") return fireClaimed(reminder!, "trigger", traceparent);
      if (judged.verdict === "wait" && waitedMs + judged.waitMs <= settings.MAX_WAIT_AHEAD_MS) {
        waitedMs += judged.waitMs;
        await sleep(judged.waitMs);
        continue;
      }
      if (judged.verdict === "early" && early < EARLY_LOOKS) {
        early++;
        await sleep(EARLY_LOOK_EVERY_MS);
        continue;
      }
      metrics.triggers.inc({ verdict: judged.verdict });
      const level = judged.verdict === "orphan" ? "warn" : "info";
      log[level]({ task_id: trigger.task_id, version: trigger.version, verdict: judged.verdict }, "trigger not fired");
      if (judged.verdict === "early") return problem(503, "reminder not stored yet", { retryAfterSeconds: 2 });
      if (judged.verdict === "wait") {
        // Never early: a trigger further ahead than this function may hold it is retried later.
        return problem(503, "reminder not due yet", { retryAfterSeconds: Math.ceil(judged.waitMs / 1000) });
      }
      return { statusCode: 200, headers: {}, body: { fired: false } };
    }
  }

  /**
   * Claims the version, publishes, marks it SENT; a failure throws and says whether a retry can
   * help. A version someone else holds is theirs to fire: a job trigger asks to be retried (it then
   * finds the version SENT, or, if the holder crashed, the claim run out); the sweep moves on.
   */
  async function fireClaimed(
    reminder: ReminderState,
    by: "trigger" | "sweep",
    traceparent?: string,
  ): Promise<FunctionResponse> {
    if (!(await store.claim(reminder.taskId, reminder.version, settings.FIRE_CLAIM_LEASE_MS))) {
      metrics.triggers.inc({ verdict: "taken" });
      log.info({ task_id: reminder.taskId, version: reminder.version, by }, "already being fired");
      return problem(503, "reminder being fired", { retryAfterSeconds: 2 });
    }
    const event = reminderDueEvent(reminder);
    throwUnlessOk(await publishEvent(publisher, event, settings.PUBSUB_NAME, traceparent), "ReminderDue not published");
    const firedAt = clock();
    const marked = await store.markSent(reminder.taskId, reminder.version, firedAt);
    const latenessMs = firedAt.getTime() - reminder.remindAt!.getTime();
    if (by === "trigger") metrics.triggers.inc({ verdict: "fire" });
    metrics.fired.inc();
    metrics.lateness.observe(latenessMs / 1000);
    log.info(
      {
        event_id: event.event_id,
        correlation_id: event.correlation_id,
        task_id: reminder.taskId,
        by,
        marked,
        lateness_ms: latenessMs,
      },
      "ReminderDue published",
    );
    return { statusCode: 200, headers: {}, body: { fired: true, event_id: event.event_id } };
  }

  /**
   * The safety net: fires PENDING reminders whose trigger was lost or gave up, then forgets what is
   * older than the retention (ids of applied events, tombstones of deleted tasks).
   */
  async function sweep(): Promise<FunctionResponse> {
    const now = clock();
    const overdue = await store.overdue(new Date(now.getTime() - settings.SWEEP_GRACE_MS), 100);
    let failed = 0;
    for (const reminder of overdue) {
      await fireClaimed(reminder, "sweep").catch((error: unknown) => {
        failed++;
        log.warn({ task_id: reminder.taskId, reason: classifyFailure(error).reason }, "sweep could not fire");
      });
    }
    const pruned = await store.prune(new Date(now.getTime() - settings.RETENTION_DAYS * DAY_MS), PRUNE_BATCH);
    metrics.pruned.inc({ kind: "processed_events" }, pruned.processedEvents);
    metrics.pruned.inc({ kind: "tombstones" }, pruned.tombstones);
    log.info({ overdue: overdue.length, failed, pruned }, "sweep done");
    return failed > 0
      ? problem(503, "some overdue reminders were not published", { retryAfterSeconds: 5 })
      : { statusCode: 200, headers: {}, body: { swept: overdue.length, pruned } };
  }
}
