/**
 * Cold start and memory at rest, while the machine is quiet: process start -> ready for each
 * function, the stock runtime with an empty handler (the goal's reference), the stock runtime with
 * a warm compile cache (the fair reference for that trick of ours), and schedule-reminder on pg
 * alone (an alternative). Interleaved, so that every kind meets the same machine state.
 */
import { join } from "node:path";
import { sleep, type FunctionName } from "../../../tests/support/stack.ts";
import { GOALS } from "../goals.ts";
import { FUNCTIONS, ROOT, benchPort, now, type Run } from "../lib/context.ts";
import { rssMb } from "../lib/processes.ts";
import { percentile, round } from "../lib/report.ts";
import { ON_PG, functionEnv, startRuntime, stockFunctionDir, stop, untilLive, type Kind } from "../lib/runtimes.ts";

export async function coldStart(run: Run, starts: number): Promise<void> {
  const { report } = run;
  const dirs: Record<Kind, string> = {
    stock: stockFunctionDir(false),
    "stock + compile cache": stockFunctionDir(true),
    ...(Object.fromEntries(FUNCTIONS.map((fn) => [fn, join(ROOT, "functions", fn)])) as Record<FunctionName, string>),
    [ON_PG]: run.onPgDir,
  };
  const kinds = Object.keys(dirs) as Kind[];
  const ready = Object.fromEntries(kinds.map((k) => [k, [] as number[]])) as Record<Kind, number[]>;
  const idleRss = Object.fromEntries(kinds.map((k) => [k, [] as number[]])) as Record<Kind, number[]>;
  // Read once, before any clock starts: for a function it runs stack.sh.
  const envs = kinds.map((kind, k) => functionEnv(kind, benchPort(k)));
  for (let i = 0; i < starts; i++) {
    for (const [k, kind] of kinds.entries()) {
      const started = now();
      const child = startRuntime(envs[k]!, dirs[kind]);
      await untilLive(benchPort(k));
      ready[kind].push(now() - started);
      await sleep(1500); // settled: what a function at rest holds
      idleRss[kind].push(rssMb(child.pid!));
      await stop(child);
    }
  }
  const p50 = (kind: Kind) => percentile(ready[kind], 50);
  report.sample("cold start: stock faas-js-runtime, process start -> ready", ready.stock, "ms");
  report.sample(
    "cold start: stock runtime with a warm compile cache (reference)",
    ready["stock + compile cache"],
    "ms",
  );
  const stock = { label: "stock runtime, empty handler", value: p50("stock"), unit: "ms" };
  for (const fn of FUNCTIONS) {
    report.sample(`cold start: ${fn}, process start -> ready`, ready[fn], "ms");
    report.goal(GOALS.coldStart, { label: fn, value: p50(fn), unit: "ms" }, stock, fn);
  }
  report.sample(`cold start: ${ON_PG}, process start -> ready`, ready[ON_PG], "ms");
  report.value(`cold start ratio to the stock runtime (p50): ${ON_PG}`, p50(ON_PG) / p50("stock"), "x", { n: starts });
  for (const fn of FUNCTIONS) {
    const ratio = p50(fn) / p50("stock + compile cache");
    report.value(
      `cold start ratio to the stock runtime with the same compile cache (p50), reference: ${fn}`,
      ratio,
      "x",
      {
        n: starts,
      },
    );
  }
  report.details["idleRssMb"] = Object.fromEntries(kinds.map((k) => [k, round(percentile(idleRss[k], 50), 1)]));
  run.stockIdleRssMb = round(percentile(idleRss.stock, 50), 1);
}
