// Writes docs/benchmarks.md: one current table, from the latest hack/bench/results/<time>.json (what
// `npm run bench` wrote) and the latest hack/bench/results/cluster-<time>.json (what the cluster suite
// wrote) when there is one, with the open-loop latency curve. The history stays in those files.
//   node --no-warnings hack/bench/docs.ts   (npm run bench:docs; hack/bench/bench.sh runs it after a run)
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { format, resolveConfig } from "prettier";
import { clusterGoalRows } from "./cluster-report.ts";
import { GOALS, bound, type GoalRow } from "./goals.ts";
import type { Step } from "./lib/open-loop.ts";
import type { Figure } from "./lib/report.ts";
import { latencyCurve, type OpenLoopResult } from "./scenarios/throughput.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const RESULTS = join(ROOT, "hack", "bench", "results");
const DOC = join(ROOT, "docs", "benchmarks.md");

interface BenchResult {
  readonly suite?: "bench";
  readonly at: string;
  readonly commit?: string;
  readonly dirty?: boolean;
  readonly machine?: { cores: number; node: string; loadAverage: Record<string, number[]> };
  readonly goals?: readonly GoalRow[];
  readonly figures: readonly Figure[];
  readonly openLoop?: Record<"ours" | "floor", OpenLoopResult>;
  readonly pictures?: Record<string, string>;
  readonly details?: Record<string, unknown>;
  readonly notes?: readonly string[];
}

const read = (file: string): unknown => JSON.parse(readFileSync(join(RESULTS, file), "utf8"));
/** Result files are named by their ISO time: the last in order is the latest. */
const latest = (pattern: RegExp) =>
  readdirSync(RESULTS)
    .filter((f) => pattern.test(f))
    .sort()
    .at(-1);

const benchFile = latest(/^\d{4}-.*\.json$/);
if (!benchFile) throw new Error("no hack/bench/results/<time>.json yet: run `npm run bench` first");
const bench = read(benchFile) as BenchResult;
const clusterFile = latest(/^cluster-.*\.json$/);
const cluster = clusterFile ? clusterGoalRows(read(clusterFile)) : undefined;
const clusterPicture = clusterFile?.replace(/\.json$/, ".svg");
const runs = readdirSync(RESULTS).filter((f) => /^\d{4}-.*\.json$/.test(f)).length;

const link = (file: string) => relative(join(ROOT, "docs"), join(RESULTS, file));
const cell = (text: string | number) => String(text).replace(/\|/g, "\\|");
const row = (cells: readonly (string | number)[]) => `| ${cells.map(cell).join(" | ")} |`;
const table = (head: readonly string[], rows: readonly (readonly (string | number)[])[]) =>
  [row(head), row(head.map(() => "---")), ...rows.map(row)].join("\n");
const num = (value: number | null | undefined, unit = "") =>
  value === null || value === undefined || Number.isNaN(value)
    ? "-"
    : `${value.toLocaleString("en-US", { maximumFractionDigits: value < 10 ? 3 : 1 })}${unit ? ` ${unit}` : ""}`;
const load = (name: string) => bench.machine?.loadAverage[name]?.map((l) => l.toFixed(2)).join(" / ") ?? "-";

function goalRows(rows: readonly GoalRow[]) {
  return rows.map((g) => [
    g.figure + (g.subject ? `: ${g.subject}` : ""),
    `${num(g.ours.value, g.ours.unit)} (${g.ours.label})`,
    g.reference ? `${num(g.reference.value, g.reference.unit)} (${g.reference.label})` : "",
    g.reference ? `${num(g.value)}x` : num(g.value, g.ours.unit),
    g.goal,
    g.met ? "yes" : "**no**",
  ]);
}

/** The cluster's goals: its report's rows, or a row saying each has not been measured. */
function clusterRows() {
  if (cluster && cluster.goals.length > 0) return goalRows(cluster.goals);
  return Object.values(GOALS)
    .filter((g) => g.suite === "cluster")
    .map((g) => [
      g.figure,
      "not measured yet (the cluster suite writes hack/bench/results/cluster-<time>.json)",
      "",
      "",
      bound(g),
      "-",
    ]);
}

function openLoopSection(): string[] {
  const ol = bench.openLoop;
  if (!ol) return ["No open-loop load in this run."];
  let picture = bench.pictures?.["latencyCurve"];
  if (!picture || !existsSync(join(RESULTS, picture))) {
    picture = benchFile!.replace(/\.json$/, "-latency.svg");
    writeFileSync(
      join(RESULTS, picture),
      latencyCurve(`Open-loop latency, ${bench.at.slice(0, 16).replace("T", " ")} UTC`, ol),
    );
  }
  const at = (r: OpenLoopResult, fraction: number) => {
    const point: Step | undefined = r.curve.find((c) => (c as { fraction?: number }).fraction === fraction);
    return point
      ? `${num(point.p50)} / ${num(point.p99)} ms (${point.rate}/s${point.errors ? `, ${point.errors} errors` : ""})`
      : "-";
  };
  const fractions = [0.25, 0.5, 0.75, 0.9];
  return [
    table(
      [
        "target",
        "max sustained, 0 errors",
        ...fractions.map((f) => `p50 / p99 at ${f * 100} %`),
        `p99 passes ${ol.ours.p99LimitMs} ms at`,
      ],
      [ol.ours, ol.floor].map((r) => [
        r.target,
        num(r.maxRate, "events/s"),
        ...fractions.map((f) => at(r, f)),
        r.p99PassesLimitAt === undefined ? "not reached" : num(r.p99PassesLimitAt, "events/s"),
      ]),
    ),
    "",
    `![open-loop latency: offered rate against p50 and p99, ours and the floor](${link(picture)})`,
  ];
}

function cpuSection(): string[] {
  const cpu = bench.details?.["cpuMsPerEvent"] as Record<string, number> | undefined;
  if (!cpu) return [];
  const { rate, ...pieces } = cpu;
  const total = Object.values(pieces).reduce((a, b) => a + b, 0);
  return [
    "",
    `CPU milliseconds per accepted event at ${num(rate)}/s (our 75 % step, read from /proc until the consumers caught up):`,
    "",
    table([...Object.keys(pieces), "total"], [[...Object.values(pieces).map((v) => num(v)), num(total)]]),
  ];
}

const doc = [
  "# Benchmarks",
  "",
  `<!-- Generated by hack/bench/docs.ts (npm run bench:docs) from hack/bench/results/${benchFile}${clusterFile ? ` and ${clusterFile}` : ""}: edit the generator, not this page. -->`,
  "",
  "`npm run bench` brings up the real local stack on its own ports (Kafka, PostgreSQL, the Dapr scheduler, three",
  "daprds, three functions) and measures it; the cluster suite measures what only a cluster shows. Every goal is a",
  "ratio to a floor or a baseline measured in the same run on the same machine (hack/bench/goals.ts), because the machine",
  "is shared and absolute figures move by a third between runs. This page shows the latest run; every run is in",
  `\`hack/bench/results/\` (one JSON each, with its latency curve; ${runs} so far).`,
  "",
  `Latest run: ${bench.at}, commit \`${bench.commit?.slice(0, 10) ?? "?"}\`${bench.dirty ? " (with uncommitted changes)" : ""}, ${bench.machine?.cores ?? "?"} cores, Node ${bench.machine?.node ?? "?"}; load average (1 / 5 / 15 min) ${load("start")} at the start, ${load("end")} at the end. [JSON](${link(benchFile)})`,
  "",
  "## Goals",
  "",
  table(
    ["figure", "ours", "floor / baseline", "ratio", "goal", "met"],
    [...goalRows(bench.goals ?? []), ...clusterRows()],
  ),
  "",
  ...(cluster
    ? [
        `Cluster rows: the cluster suite's run of ${cluster.at} ([JSON](${link(clusterFile!)})); the node's memory is its`,
        "cgroup's working set, idle at the start of the suite and under its load.",
        ...(clusterPicture && existsSync(join(RESULTS, clusterPicture))
          ? ["", `![the cluster suite's run: pods per function over time](${link(clusterPicture)})`]
          : []),
      ]
    : []),
  "",
  "## Open-loop load",
  "",
  "Requests at a constant arrival rate, each latency measured from when it should have been sent (no coordinated",
  "omission). A rate is sustained when every answer is a 2xx and no queue builds (the median of the step's last",
  "quarter stays under 100 ms); the maximum is searched by doubling then halving the interval (a rate that fails is",
  "tried once more: the machine is shared), ours and the floor in turn, the stack quiet before every step. The floor",
  "is `hack/bench/forwarder.mjs`: node:http passing each request to the same daprd unparsed, publishing the same event to",
  "the same topic. The picture shows p50 and p99 at 25, 50, 75 and 90 % of each maximum, and at the maximum.",
  "",
  ...openLoopSection(),
  ...cpuSection(),
  "",
  "## Every figure",
  "",
  table(
    ["figure", "n", "p50 / value", "p99", "unit", "bound", "met"],
    bench.figures.map((f) => [
      f.name,
      f.n,
      num(f.p50),
      num(f.p99),
      f.unit,
      f.target ?? "",
      f.met === undefined ? "" : f.met ? "yes" : "**no**",
    ]),
  ),
  ...(bench.notes?.length ? ["", "Notes of the run:", "", ...bench.notes.map((n) => `- ${n}`)] : []),
  "",
].join("\n");

// Formatted as the lint checks it (prettier aligns the tables).
writeFileSync(DOC, await format(doc, { ...(await resolveConfig(DOC)), filepath: DOC }));
console.log(`written: ${relative(ROOT, DOC)} from ${benchFile}${clusterFile ? ` and ${clusterFile}` : ""}`);
