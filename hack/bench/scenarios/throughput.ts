/**
 * Throughput under an open-loop load (lib/open-loop.ts), publish-task-event beside the floor (the
 * bare node:http forwarder to the same daprd, publishing the same event to the same topic, so
 * that the consumers behind do the same work): the maximum sustained rate of each (every answer a
 * 2xx, no queue building), then p50/p99 at 25, 50, 75 and 90 % of it, and the rate where p99
 * passes 100 ms. The two are measured step by step in turn, so that both meet the same machine;
 * the stack is let go quiet (the consumers caught up) before every step. During our 75 % step the
 * CPU of every process is read until the consumers have caught up: CPU per accepted event.
 */
import { stack } from "../../../tests/support/stack.ts";
import { BOUNDS, GOALS } from "../goals.ts";
import { FUNCTIONS, PIECES, RUN, benchPort, type Run } from "../lib/context.ts";
import { deletedRequest, toDaprPublish, toFunction } from "../lib/http.ts";
import { RateSearch, openLoop, rateWhereP99Passes, type Step } from "../lib/open-loop.ts";
import { cpuMsBetween, cpuTicksByPiece, pieces, rssMb, selfCpuMs } from "../lib/processes.ts";
import { round } from "../lib/report.ts";
import { latencyCurveSvg } from "../lib/svg.ts";
import { startForwarder, stop, untilQuiet } from "../lib/runtimes.ts";

export interface OpenLoopResult {
  readonly target: string;
  /** The highest rate sustained with 0 errors, events/s. */
  readonly maxRate: number;
  /** Every step measured, in the order run. */
  readonly steps: readonly Step[];
  /** The steps at 25/50/75/90 % of maxRate. */
  readonly curve: readonly (Step & { readonly fraction: number })[];
  readonly p99PassesLimitAt: number | undefined;
  readonly p99LimitMs: number;
  /** Steps below that rate whose p99 passed the limit anyway. */
  readonly spikesBelow: number;
}

interface Target {
  readonly name: string;
  readonly search: RateSearch;
  readonly send: (id: string, taskId: string) => Promise<boolean>;
  readonly curve: (Step & { fraction: number })[];
}

export async function throughput(run: Run, stepSeconds: number): Promise<Record<"ours" | "floor", OpenLoopResult>> {
  const { report } = run;
  const floorPort = benchPort(60);
  const forwarder = await startForwarder(floorPort);
  const floorUrl = `http://127.0.0.1:${floorPort}`;
  const targets: Record<"ours" | "floor", Target> = {
    ours: {
      name: "publish-task-event",
      search: new RateSearch(100),
      send: async (id, taskId) => (await toFunction(deletedRequest(id, taskId))) === 202,
      curve: [],
    },
    floor: {
      name: "floor (node:http forwarder to daprd)",
      search: new RateSearch(100),
      send: async (id, taskId) => (await toDaprPublish(floorUrl, id, taskId)) === 204,
      curve: [],
    },
  };
  const sessions = pieces(stack().run, PIECES);
  const peakRss: Record<string, number> = {};
  const sampleRss = () => {
    for (const fn of FUNCTIONS) peakRss[fn] = Math.max(peakRss[fn] ?? 0, rssMb(sessions.get(fn)!));
  };
  let stepNumber = 0;
  const step = async (key: "ours" | "floor", rate: number, quietFirst = true): Promise<Step> => {
    if (quietFirst) await untilQuiet(report, 120_000);
    const n = stepNumber++;
    const target = targets[key];
    const sampler = key === "ours" ? setInterval(sampleRss, 200) : undefined;
    const measured = await openLoop(rate, stepSeconds, (i) => target.send(`${RUN}-ol-${n}-${i}`, `bench-${i % 64}`));
    clearInterval(sampler);
    console.log(`open loop: ${target.name} at ${rate}/s: ${JSON.stringify(measured)}`);
    return measured;
  };

  // The maximum of each, searched in turn.
  for (;;) {
    const next = (["ours", "floor"] as const).map((key) => [key, targets[key].search.next()] as const);
    if (next.every(([, rate]) => rate === undefined)) break;
    for (const [key, rate] of next) if (rate !== undefined) targets[key].search.record(await step(key, rate));
  }
  // The curve at fractions of each one's maximum, in turn; CPU per event during our 75 % step.
  for (const fraction of BOUNDS.curveFractions) {
    for (const key of ["ours", "floor"] as const) {
      const target = targets[key];
      const rate = Math.max(1, Math.round(target.search.max * fraction));
      if (key === "ours" && fraction === 0.75) {
        target.curve.push({ ...(await cpuPerEvent(run, rate, () => step(key, rate, false))), fraction });
      } else {
        target.curve.push({ ...(await step(key, rate)), fraction });
      }
    }
  }
  await stop(forwarder);
  await untilQuiet(report, 120_000);

  const results = Object.fromEntries(
    (["ours", "floor"] as const).map((key) => {
      const { name, search, curve } = targets[key];
      const steps = [...search.steps, ...curve];
      const passes = rateWhereP99Passes(steps, BOUNDS.openLoopP99Ms);
      const result: OpenLoopResult = {
        target: name,
        maxRate: search.max,
        steps,
        curve,
        p99PassesLimitAt: passes.rate,
        p99LimitMs: BOUNDS.openLoopP99Ms,
        spikesBelow: passes.below,
      };
      return [key, result];
    }),
  ) as Record<"ours" | "floor", OpenLoopResult>;

  for (const { target, maxRate, curve, p99PassesLimitAt } of Object.values(results)) {
    report.value(`open loop: max sustained rate, 0 errors: ${target}`, maxRate, "events/s");
    for (const point of curve) {
      report.figures.push({
        name: `open loop at ${point.fraction * 100} % of max (${point.rate}/s): ${target}`,
        n: point.sent,
        p50: point.p50,
        p99: point.p99,
        unit: "ms",
      });
    }
    report.value(
      `open loop: rate where p99 passes ${BOUNDS.openLoopP99Ms} ms: ${target}`,
      p99PassesLimitAt ?? NaN,
      "events/s",
    );
  }
  report.goal(
    GOALS.throughput,
    { label: "publish-task-event", value: results.ours.maxRate, unit: "events/s" },
    { label: "floor", value: results.floor.maxRate, unit: "events/s" },
  );
  run.maxPublishRate = results.ours.maxRate;
  run.peakRssMb = Object.fromEntries(Object.entries(peakRss).map(([fn, mb]) => [fn, round(mb, 1)]));
  return results;
}

/**
 * One step of our load with the CPU of every process read from its start until the stack is quiet
 * again (the consumers catch up after the load), and the client's own: CPU per accepted event.
 */
async function cpuPerEvent(run: Run, rate: number, load: () => Promise<Step>): Promise<Step> {
  const { report } = run;
  await untilQuiet(report, 120_000);
  const sessions = pieces(stack().run, PIECES);
  const before = cpuTicksByPiece(sessions);
  const clientBefore = selfCpuMs();
  const measured = await load();
  const clientMs = selfCpuMs() - clientBefore;
  await untilQuiet(report, 120_000);
  const cpuMs = cpuMsBetween(before, cpuTicksByPiece(sessions));
  cpuMs["client (this benchmark)"] = clientMs;
  const accepted = measured.sent - measured.errors;
  const perEvent = Object.fromEntries(Object.entries(cpuMs).map(([piece, ms]) => [piece, round(ms / accepted, 3)]));
  for (const [piece, ms] of Object.entries(perEvent)) {
    report.value(`CPU per accepted event at ${rate}/s: ${piece}`, ms, "ms", { n: accepted });
  }
  report.details["cpuMsPerEvent"] = { rate, ...perEvent };
  return measured;
}

/** What the latency curve shows: the steps at fractions of the maximum, and the step at the maximum. */
export function curvePoints(result: OpenLoopResult): Step[] {
  const atMax = result.steps.filter((s) => s.sustained && s.rate === result.maxRate).at(-1);
  return [...result.curve, ...(atMax ? [atMax] : [])];
}

/** The open-loop latency curve of a run, ours beside the floor, as an SVG picture. */
export function latencyCurve(title: string, results: Record<"ours" | "floor", OpenLoopResult>): string {
  const series = [
    { label: results.ours.target, colour: "#1f5fbf", maxRate: results.ours.maxRate, steps: curvePoints(results.ours) },
    {
      label: results.floor.target,
      colour: "#d07000",
      maxRate: results.floor.maxRate,
      steps: curvePoints(results.floor),
    },
  ];
  return latencyCurveSvg(title, series, results.ours.p99LimitMs);
}
