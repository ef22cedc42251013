/**
 * Reminders firing: `reminders` tasks whose reminders fall due over `spreadMs`, posted ahead of
 * time; every one must fire exactly once, and its lateness (the ReminderDue record's time minus the
 * reminder time) stay within the bound. Run with 60 over a minute, and with 10 000 due within one
 * minute (the burst). The CPU each piece used while they fired goes into the details.
 */
import { binaryEvent, taskPayload } from "../../../tests/support/fixtures.ts";
import { countCopies } from "../../../tests/support/reminders.ts";
import { sleep, stack, waitForTopic } from "../../../tests/support/stack.ts";
import { BOUNDS } from "../goals.ts";
import { PIECES, RUN, now, type Run } from "../lib/context.ts";
import { toFunction } from "../lib/http.ts";
import { cpuMsBetween, cpuTicksByPiece, pieces } from "../lib/processes.ts";
import { round } from "../lib/report.ts";
import { inParallel } from "../lib/runtimes.ts";

export async function remindersFiring(run: Run, reminders: number, spreadMs: number, label: string) {
  const { report } = run;
  // Time to post and store them all before the first is due, plus a margin: at 6 ms each, or at
  // 60 % of the rate publish-task-event sustained in this run when that is slower (a busy machine).
  const postingMs = Math.max(reminders * 6, run.maxPublishRate ? (reminders / (0.6 * run.maxPublishRate)) * 1000 : 0);
  const leadMs = Math.max(5_000, postingMs) + 5_000;
  const start = Date.now() + leadMs;
  const due = new Map<string, number>();
  const slug = label.replace(/[^A-Za-z0-9]+/g, "-");
  for (let i = 0; i < reminders; i++) due.set(`${RUN}-${slug}-${i}`, start + Math.round((i * spreadMs) / reminders));
  const keys = [...due.keys()];
  const posting = now();
  await inParallel(keys.length, 32, async (i) => {
    const taskId = keys[i]!;
    const reminder = new Date(due.get(taskId)!).toISOString();
    const request = binaryEvent("TaskCreated", `${taskId}-created`, taskPayload(taskId, { reminder_time: reminder }));
    const status = await toFunction(request);
    if (status !== 202) throw new Error(`publish answered ${status}`);
  });
  const postedInMs = now() - posting;
  if (postedInMs > leadMs - 5_000)
    report.note(`${label}: posting took ${Math.round(postedInMs)} ms, past the lead of ${leadMs} ms`);
  await sleep(Math.max(0, start - 12_000 - Date.now()));
  const sessions = pieces(stack().run, PIECES);
  const cpuBefore = cpuTicksByPiece(sessions);
  const fired = await waitForTopic("reminders", (r) => due.has(r.key ?? ""), {
    enough: (records) => new Set(records.map((r) => r.key)).size >= reminders,
    timeoutMs: start + spreadMs + 120_000 - Date.now(),
  });
  const cpuMs = cpuMsBetween(cpuBefore, cpuTicksByPiece(sessions));
  await sleep(3_000);
  const all = await waitForTopic("reminders", (r) => due.has(r.key ?? ""), { enough: () => false, timeoutMs: 3_000 });
  const firstByKey = new Map<string, number>();
  for (const r of fired) if (!firstByKey.has(r.key!)) firstByKey.set(r.key!, r.timestamp);
  const lateness = [...firstByKey].map(([key, at]) => at - due.get(key)!);
  const copies = keys.map((key) => countCopies(all.filter((r) => r.key === key)));
  const firedAt = [...firstByKey.values()];
  const firingSeconds = (Math.max(...firedAt) - Math.min(...firedAt)) / 1000;
  report.sample(`${label}: reminder lateness (${reminders} due within ${spreadMs / 1000} s)`, lateness, "ms", {
    p99: BOUNDS.reminderLatenessP99Ms,
    label: `p99 <= ${BOUNDS.reminderLatenessP99Ms / 1000} s`,
  });
  const firedOnce = copies.filter((c) => c.events === 1).length;
  report.value(`${label}: fired exactly once`, firedOnce, "reminders", {
    n: reminders,
    target: `= ${reminders}, no second event`,
    met: firedOnce === reminders && copies.every((c) => c.events <= 1),
  });
  const reminderPieces = ["emit-reminder", "emit-reminder-dapr", "scheduler", "kafka", "postgres"];
  const perReminder = reminderPieces.reduce((sum, piece) => sum + (cpuMs[piece] ?? 0), 0) / reminders;
  report.value(`${label}: reminders fired per second`, round(reminders / firingSeconds, 0), "/s", { n: reminders });
  report.value(`${label}: CPU per reminder fired (${reminderPieces.join(" + ")})`, perReminder, "ms", { n: reminders });
  report.details[`${label}Cpu`] = {
    cpuMsByPiece: cpuMs,
    postedInMs: Math.round(postedInMs),
    identicalCopies: copies.reduce((s, c) => s + c.duplicateCopies, 0),
  };
}
