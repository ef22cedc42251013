/**
 * The alternatives to what the design card chose, measured beside it so that the choice is
 * informed: schedule-reminder on `pg` alone (hack/bench/pg-reminder-store.ts: the same statements in
 * the same transaction) instead of Prisma. Two measurements:
 * - the transaction alone, in this process, one at a time: the client's CPU (Prisma or pg);
 * - the whole function, each started fresh on its own port, alone on the machine, fed the same
 *   deliveries daprd makes (each a new task: the whole transaction) at the same open-loop rate:
 *   CPU per applied event (the goal), and RSS after them.
 */
import pg from "pg";
import { join } from "node:path";
import { ReminderStore, type ReminderState } from "@todo/reminder-store";
import { toStructuredCloudEvent, type TaskCreated } from "@todo/shared";
import { daprDelivery, taskPayload } from "../../../tests/support/fixtures.ts";
import { sleep, stack } from "../../../tests/support/stack.ts";
import { GOALS } from "../goals.ts";
import { ROOT, RUN, benchPort, type Run } from "../lib/context.ts";
import { send, stackTokens } from "../lib/http.ts";
import { openLoop } from "../lib/open-loop.ts";
import { cpuMsBetween, cpuTicksByPiece, rssMb, selfCpuMs } from "../lib/processes.ts";
import { round } from "../lib/report.ts";
import { ON_PG, functionEnv, startRuntime, stop, untilLive } from "../lib/runtimes.ts";
import { ReminderStore as PgReminderStore } from "../pg-reminder-store.ts";

function cancelled(taskId: string, eventId: string): ReminderState {
  return {
    taskId,
    userId: "bench",
    dueDate: null,
    remindAt: null, // cancelled: nothing the reminder sweep would ever fire
    completed: false,
    deleted: false,
    status: "CANCELLED",
    version: 1,
    lastEventAt: new Date(),
    lastEventId: eventId,
    correlationId: eventId,
  };
}

/** The client CPU of schedule-reminder's transaction through Prisma and through pg alone, in this process. */
export async function storeTransaction({ report }: Run, transactions: number): Promise<void> {
  const costs: Record<string, number> = {};
  const stores = {
    "Prisma (used)": new ReminderStore(stack().databaseUrl),
    "pg alone (alternative, not used)": new PgReminderStore(stack().databaseUrl),
  };
  for (const [client, store] of Object.entries(stores)) {
    const apply = async (i: number) => {
      const [eventId, taskId] = [`${RUN}-tx-${client.slice(0, 2)}-${i}`, `${RUN}-tx-${client.slice(0, 2)}-task-${i}`];
      await store.applyOnce(
        eventId,
        taskId,
        () => ({ next: cancelled(taskId, eventId) }),
        async () => {},
      );
    };
    for (let i = 0; i < 200; i++) await apply(-1 - i); // warm: connections, JIT
    const before = selfCpuMs();
    for (let i = 0; i < transactions; i++) await apply(i);
    costs[client] = (selfCpuMs() - before) / transactions;
    await store.disconnect();
    report.value(`schedule-reminder's transaction via ${client}: client CPU`, costs[client], "ms", { n: transactions });
  }
  const db = new pg.Client({ connectionString: stack().databaseUrl });
  await db.connect();
  await db.query("DELETE FROM reminders WHERE task_id LIKE $1", [`${RUN}-tx-%`]);
  await db.query("DELETE FROM processed_events WHERE task_id LIKE $1", [`${RUN}-tx-%`]);
  await db.end();
  const [prisma, direct] = Object.values(costs);
  report.value("Prisma / pg alone, client CPU per transaction", prisma! / direct!, "x", { n: transactions });
}

/** TaskCreated without a reminder, as daprd delivers the record to schedule-reminder (rawPayload). */
function taskCreatedDelivery(id: string, offset: number) {
  const created: TaskCreated = {
    event_id: id,
    event_type: "TaskCreated",
    schema_version: 1,
    timestamp: new Date().toISOString(),
    correlation_id: id,
    producer: "/bench",
    ...taskPayload(id, { due_date: null, reminder_time: null }),
  };
  const record = Buffer.from(JSON.stringify(toStructuredCloudEvent(created)));
  const delivery = daprDelivery(record, { topic: "task-events", partition: 0, offset, key: id });
  return { ...delivery, headers: { ...delivery.headers, "dapr-api-token": stackTokens().scheduleApp } };
}

/** schedule-reminder as it is (Prisma) and on pg alone: CPU per applied event at the same rate, RSS after. */
export async function scheduleReminderOnPg(run: Run, deliveries: number, rate: number): Promise<void> {
  const { report } = run;
  const port = benchPort(70);
  const env = functionEnv("schedule-reminder", port);
  const variants: Record<string, string> = {
    "schedule-reminder (Prisma, used)": join(ROOT, "functions", "schedule-reminder"),
    [ON_PG]: run.onPgDir,
  };
  const measured: Record<string, { cpuMs: number; p50Ms: number; rssAfterMb: number }> = {};
  for (const [v, [name, dir]] of Object.entries(variants).entries()) {
    const child = startRuntime(env, dir);
    await untilLive(port);
    const deliver = (label: string, n: number) =>
      openLoop(rate, n / rate, async (i) => {
        const delivery = taskCreatedDelivery(`${RUN}-alt-${v}-${label}-${i}`, i);
        return (await send(`http://127.0.0.1:${port}/`, delivery.headers, delivery.body)) === 200;
      });
    await deliver("warm", 300); // JIT, connections
    const root = new Map([[name, child.pid!]]);
    const before = cpuTicksByPiece(root);
    const step = await deliver("load", deliveries);
    if (step.errors > 0) report.note(`${name}: ${step.errors} deliveries failed at ${rate}/s`);
    const cpuMs = cpuMsBetween(before, cpuTicksByPiece(root))[name]! / step.sent;
    await sleep(15_000);
    measured[name] = { cpuMs: round(cpuMs, 3), p50Ms: step.p50, rssAfterMb: round(rssMb(child.pid!), 1) };
    await stop(child);
  }
  const stockIdle = run.stockIdleRssMb ?? NaN;
  for (const [name, m] of Object.entries(measured)) {
    report.value(`CPU per applied event, alone at ${rate}/s: ${name}`, m.cpuMs, "ms", { n: deliveries });
    report.value(`delivery latency p50, alone at ${rate}/s: ${name}`, m.p50Ms, "ms", { n: deliveries });
    report.value(
      `memory after load / stock runtime idle (${stockIdle} MB): ${name} (${m.rssAfterMb} MB)`,
      m.rssAfterMb / stockIdle,
      "x",
    );
  }
  const [prisma, direct] = Object.entries(measured);
  report.goal(
    GOALS.storeCpu,
    { label: prisma![0], value: prisma![1].cpuMs, unit: "ms" },
    { label: direct![0], value: direct![1].cpuMs, unit: "ms" },
  );
  report.details["scheduleReminderOnPg"] = measured;
}
