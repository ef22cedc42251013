/**
 * Every goal and bound of the benchmark, in one table. A goal is a ratio measured in one run
 * (ours / a floor or baseline measured beside it on the same machine at the same time), because on
 * two shared cores an absolute figure moves by a third between runs while a ratio holds. A bound is
 * an absolute limit on something a user sees (a reminder's lateness, an end-to-end time, a memory
 * limit). The two goals measured on a cluster (`suite: "cluster"`) are not measured by `npm run
 * bench`: the cluster suite writes them to hack/bench/results/cluster-<time>.json (ClusterReport), and
 * hack/bench/docs.ts shows them beside the bench's.
 */

export type Comparison = "<=" | ">=";

export interface Goal {
  /** Stable key in the results JSON; a goal measured per function gets one row per function. */
  readonly id: string;
  /** What is divided by what (or bounded). */
  readonly figure: string;
  readonly comparison: Comparison;
  readonly limit: number;
  /** "x" for a ratio; a unit for an absolute bound. */
  readonly unit: string;
  readonly suite: "bench" | "cluster";
  readonly perFunction?: boolean;
}

export const GOALS = {
  functionLayer: {
    id: "function-layer",
    figure: "function layer added / the floor's added latency (p50, over straight to daprd)",
    comparison: "<=",
    limit: 1.3,
    unit: "x",
    suite: "bench",
  },
  cpuPerRequest: {
    id: "cpu-per-request",
    figure: "publish-task-event CPU per request / empty handler on faas-js-runtime",
    comparison: "<=",
    limit: 2,
    unit: "x",
    suite: "bench",
  },
  throughput: {
    id: "throughput",
    figure: "sustained events/s through publish-task-event / through the floor, 0 errors (open loop)",
    comparison: ">=",
    limit: 0.9,
    unit: "x",
    suite: "bench",
  },
  storeCpu: {
    id: "store-cpu",
    figure: "schedule-reminder CPU per applied event, Prisma / the same on pg alone",
    comparison: "<=",
    limit: 1.5,
    unit: "x",
    suite: "bench",
  },
  coldStart: {
    id: "cold-start",
    figure: "cold start (process start -> ready, p50), each function / stock runtime",
    comparison: "<=",
    limit: 1.2,
    unit: "x",
    suite: "bench",
    perFunction: true,
  },
  rssAfterLoad: {
    id: "rss-after-load",
    figure: "RSS after load, each function / stock runtime idle",
    comparison: "<=",
    limit: 1.3,
    unit: "x",
    suite: "bench",
    perFunction: true,
  },
  activatorColdStart: {
    id: "activator-cold-start",
    figure: "cold start through the activator (p50), each function / static floor",
    comparison: "<=",
    limit: 1.3,
    unit: "x",
    suite: "cluster",
    perFunction: true,
  },
  clusterIdle: {
    id: "cluster-idle",
    figure: "whole cluster memory, idle, on the 4 GB node",
    comparison: "<=",
    limit: 2.5,
    unit: "GB",
    suite: "cluster",
  },
  clusterUnderLoad: {
    id: "cluster-under-load",
    figure: "whole cluster memory, under load, on the 4 GB node",
    comparison: "<=",
    limit: 3.2,
    unit: "GB",
    suite: "cluster",
  },
} as const satisfies Record<string, Goal>;

/** Absolute bounds on what a user sees, and the thresholds the open-loop search works with. */
export const BOUNDS = {
  publishP99Ms: 25,
  endToEndP99Ms: 150,
  reminderLatenessP99Ms: 1000,
  /** The seed's publishing goal: the open-loop curve reports the rate where p99 passes it. */
  openLoopP99Ms: 100,
  /**
   * A rate is sustained when every request got its 2xx and no queue built up: the median latency
   * of the step's last quarter stays under this (a queue growing at 5 % over capacity passes it
   * within a few seconds).
   */
  sustainedQueueP50Ms: 100,
  /** The fractions of the maximum sustained rate at which the latency curve is measured. */
  curveFractions: [0.25, 0.5, 0.75, 0.9],
} as const;

export const bound = (goal: Pick<Goal, "comparison" | "limit" | "unit">) =>
  `${goal.comparison} ${goal.limit}${goal.unit === "x" ? "x" : ` ${goal.unit}`}`;

export const meets = (goal: Pick<Goal, "comparison" | "limit">, value: number) =>
  Number.isFinite(value) && (goal.comparison === "<=" ? value <= goal.limit : value >= goal.limit);

/** One row of the goals table: ours, the reference it is divided by, the ratio, the goal, met. */
export interface GoalRow {
  readonly id: string;
  readonly suite: Goal["suite"];
  readonly figure: string;
  /** The function, for a goal measured per function. */
  readonly subject?: string;
  readonly ours: Measured;
  /** Absent for an absolute bound. */
  readonly reference?: Measured;
  /** ours / reference, or ours itself for an absolute bound. */
  readonly value: number;
  readonly goal: string;
  readonly met: boolean;
}

export interface Measured {
  readonly label: string;
  readonly value: number;
  readonly unit: string;
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));

/** A goal's row: the ratio of `ours` to `reference` (or `ours` alone for a bound), checked against the goal. */
export function goalRow(goal: Goal, ours: Measured, reference?: Measured, subject?: string): GoalRow {
  const value = reference ? ours.value / reference.value : ours.value;
  return {
    id: subject ? `${goal.id}:${subject}` : goal.id,
    suite: goal.suite,
    figure: goal.figure,
    ...(subject ? { subject } : {}),
    ours: { ...ours, value: round(ours.value, 3) },
    ...(reference ? { reference: { ...reference, value: round(reference.value, 3) } } : {}),
    value: round(value, 2),
    goal: bound(goal),
    met: meets(goal, value),
  };
}

/**
 * What the cluster suite writes to hack/bench/results/cluster-<time>.json for docs/benchmarks.md: its
 * rows of the goals above (GOALS.activatorColdStart per function, GOALS.clusterIdle,
 * GOALS.clusterUnderLoad), made with goalRow, plus whatever figures it wants shown beside them.
 */
export interface ClusterReport {
  readonly suite: "cluster";
  readonly at: string;
  readonly commit?: string;
  readonly node?: string;
  readonly goals: readonly GoalRow[];
  readonly figures?: readonly { readonly name: string; readonly value: number | string; readonly unit?: string }[];
  readonly notes?: readonly string[];
}
