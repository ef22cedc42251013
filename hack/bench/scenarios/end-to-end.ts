/**
 * End to end, one task at a time: a TaskCreated with a reminder posted to publish-task-event, until
 * schedule-reminder has stored the reminder's row (through Kafka, daprd, the subscription, the
 * transaction and the job on emit-reminder's sidecar). Each task is deleted afterwards, so that no
 * reminder job stays behind in the scheduler.
 */
import pg from "pg";
import { binaryEvent, taskPayload } from "../../../tests/support/fixtures.ts";
import { sleep, stack } from "../../../tests/support/stack.ts";
import { BOUNDS } from "../goals.ts";
import { RUN, now, type Run } from "../lib/context.ts";
import { deletedRequest, toFunction } from "../lib/http.ts";
import { inParallel } from "../lib/runtimes.ts";

const DAY_MS = 24 * 3600_000;

export async function endToEnd({ report }: Run, events: number): Promise<void> {
  const db = new pg.Client({ connectionString: stack().databaseUrl });
  await db.connect();
  const samples: number[] = [];
  const taskIds: string[] = [];
  for (let i = 0; i < events; i++) {
    const taskId = `${RUN}-e2e-${i}`;
    taskIds.push(taskId);
    const started = now();
    const reminder = new Date(Date.now() + DAY_MS).toISOString();
    const request = binaryEvent("TaskCreated", `${taskId}-created`, taskPayload(taskId, { reminder_time: reminder }));
    const status = await toFunction(request);
    if (status !== 202) throw new Error(`publish answered ${status}`);
    while ((await db.query("SELECT 1 FROM reminders WHERE task_id = $1", [taskId])).rowCount === 0) {
      if (now() - started > 10_000) throw new Error(`reminder ${taskId} not stored after 10 s`);
      await sleep(2);
    }
    samples.push(now() - started);
  }
  await db.end();
  report.sample("end to end: TaskCreated posted -> reminder row stored", samples, "ms", {
    p99: BOUNDS.endToEndP99Ms,
    label: `p99 <= ${BOUNDS.endToEndP99Ms} ms`,
  });
  await inParallel(taskIds.length, 8, (i) => toFunction(deletedRequest(`${taskIds[i]!}-deleted`, taskIds[i]!)));
}
