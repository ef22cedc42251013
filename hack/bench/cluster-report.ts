/**
 * The goals the cluster suite measures (goals.ts, `suite: "cluster"`), read from its report
 * hack/bench/results/cluster-<time>.json: either rows made with goalRow (ClusterReport), or the suite's
 * own report, whose cold starts through the activator (`coldStart`, beside a static server, the
 * floor) and node memory (`budget` at the start, idle; `footprintUnderLoad.node` under load: the
 * node's cgroup working set) give the rows here.
 */
import { GOALS, goalRow, type ClusterReport, type GoalRow } from "./goals.ts";

interface Sample {
  readonly p50?: number;
}
interface NodeMemory {
  readonly workingSetMb?: number;
  readonly memoryLimitMb?: number;
}
/** What this reads of the cluster suite's own report. */
interface SuiteReport {
  readonly at?: string;
  readonly coldStart?: Readonly<Record<string, Sample>>;
  readonly budget?: NodeMemory;
  readonly footprintUnderLoad?: { readonly node?: NodeMemory };
}

const FLOOR = "cold-start-floor";
const FUNCTIONS = ["publish-task-event", "schedule-reminder", "emit-reminder"];

export function clusterGoalRows(report: unknown): { at: string; goals: GoalRow[] } {
  const given = report as Partial<ClusterReport> & SuiteReport;
  const rows: readonly GoalRow[] | undefined = given.goals;
  if (rows) return { at: given.at ?? "?", goals: [...rows] };
  const goals: GoalRow[] = [];
  const floor = given.coldStart?.[FLOOR]?.p50;
  for (const fn of FUNCTIONS) {
    const ours = given.coldStart?.[fn]?.p50;
    if (ours === undefined || floor === undefined) continue;
    goals.push(
      goalRow(
        GOALS.activatorColdStart,
        { label: fn, value: ours, unit: "ms" },
        { label: "static server through the activator", value: floor, unit: "ms" },
        fn,
      ),
    );
  }
  const gb = (mb: number) => mb / 1024;
  const idle = given.budget?.workingSetMb;
  if (idle !== undefined) {
    goals.push(goalRow(GOALS.clusterIdle, { label: "node working set at the start", value: gb(idle), unit: "GB" }));
  }
  const underLoad = given.footprintUnderLoad?.node?.workingSetMb;
  if (underLoad !== undefined) {
    const label = "node working set under load";
    goals.push(goalRow(GOALS.clusterUnderLoad, { label, value: gb(underLoad), unit: "GB" }));
  }
  return { at: given.at ?? "?", goals };
}
