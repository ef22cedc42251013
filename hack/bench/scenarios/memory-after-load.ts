/**
 * Memory: each function's peak RSS under the open-loop load within its manifest's limit, and its
 * RSS once the flow has been quiet for 15 s against the stock runtime's at rest (the goal).
 */
import { sleep, stack } from "../../../tests/support/stack.ts";
import { GOALS } from "../goals.ts";
import { FUNCTIONS, type Run } from "../lib/context.ts";
import { pieces, rssMb } from "../lib/processes.ts";
import { round } from "../lib/report.ts";

export async function memoryAfterLoad(run: Run): Promise<void> {
  const { report } = run;
  await sleep(15_000);
  const sessions = pieces(stack().run, FUNCTIONS);
  const stockIdle = run.stockIdleRssMb;
  for (const fn of FUNCTIONS) {
    const limit = stack().memoryLimitsMb[fn];
    const peak = run.peakRssMb?.[fn];
    if (peak !== undefined) {
      report.value(`memory under load, peak: ${fn} (manifest limit ${limit} MB)`, peak, "MB", {
        target: `<= ${limit} MB`,
        met: peak <= limit,
      });
    }
    if (stockIdle === undefined) {
      report.note(
        `memory after load: ${fn} not compared (the cold-start scenario, which measures the stock runtime idle, did not run)`,
      );
      continue;
    }
    report.goal(
      GOALS.rssAfterLoad,
      { label: fn, value: round(rssMb(sessions.get(fn)!), 1), unit: "MB" },
      { label: "stock runtime idle", value: stockIdle, unit: "MB" },
      fn,
    );
  }
}
