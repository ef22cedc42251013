// The benchmark of the event flow on the real local stack (npm run bench): runs the scenarios in
// hack/bench/scenarios/ in order (the quiet machine first: start times and memory at rest; then
// latency; then the loads), prints the goals (hack/bench/goals.ts: each a ratio measured in this run)
// and every figure, and writes hack/bench/results/<time>.json with the open-loop latency curve beside
// it as <time>-latency.svg. BENCH_ONLY=<scenario>,... runs some of them (the levers' runs).
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { stack } from "../../tests/support/stack.ts";
import { ROOT, portOffset, type Run } from "./lib/context.ts";
import { agent } from "./lib/http.ts";
import { Report, loadAverage } from "./lib/report.ts";
import { bundleScheduleReminderOnPg, stopAllOnExit, untilQuiet } from "./lib/runtimes.ts";
import { scheduleReminderOnPg, storeTransaction } from "./scenarios/alternatives.ts";
import { coldStart } from "./scenarios/cold-start.ts";
import { cpuPerRequest } from "./scenarios/cpu-per-request.ts";
import { endToEnd } from "./scenarios/end-to-end.ts";
import { memoryAfterLoad } from "./scenarios/memory-after-load.ts";
import { publishLatency } from "./scenarios/publish-latency.ts";
import { remindersFiring } from "./scenarios/reminders.ts";
import { latencyCurve, throughput, type OpenLoopResult } from "./scenarios/throughput.ts";

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
let openLoop: Record<"ours" | "floor", OpenLoopResult> | undefined;

const SCENARIOS: Record<string, (run: Run) => Promise<unknown>> = {
  "cold-start": (run) => coldStart(run, env("COLD_STARTS", 10)),
  "publish-latency": (run) => publishLatency(run, env("PUBLISH_EVENTS", 500)),
  "cpu-per-request": (run) => cpuPerRequest(run, env("CPU_RATE", 100), env("CPU_SECONDS", 15)),
  "end-to-end": (run) => endToEnd(run, 100),
  "reminders-minute": (run) => remindersFiring(run, 60, 60_000, "reminders over a minute"),
  throughput: async (run) => {
    openLoop = await throughput(run, env("STEP_SECONDS", 5));
  },
  "memory-after-load": (run) => memoryAfterLoad(run),
  "store-transaction": (run) => storeTransaction(run, 2000),
  "schedule-reminder-on-pg": (run) => scheduleReminderOnPg(run, 3000, env("DELIVERY_RATE", 100)),
  "reminders-burst": (run) => remindersFiring(run, env("REMINDER_BURST", 10_000), 60_000, "10k burst"),
};

const only = process.env["BENCH_ONLY"]?.split(",").filter(Boolean);
for (const name of only ?? []) if (!(name in SCENARIOS)) throw new Error(`BENCH_ONLY: no scenario "${name}"`);
stopAllOnExit();
const report = new Report();
// Bundled before the machine is let go quiet; used by cold-start and schedule-reminder-on-pg.
const run: Run = { report, onPgDir: bundleScheduleReminderOnPg() };
await untilQuiet(report);
for (const [name, scenario] of Object.entries(SCENARIOS)) {
  if (only && !only.includes(name)) continue;
  console.log(`\n== ${name} (load average ${loadAverage().join(" ")})`);
  report.scenarioStarts(name);
  await scenario(run);
}
report.loadAverage["end"] = loadAverage();

const at = new Date().toISOString();
const base = at.replace(/[:.]/g, "-");
const dir = join(ROOT, "hack", "bench", "results");
mkdirSync(dir, { recursive: true });
const git = (...args: string[]) => execFileSync("git", args, { cwd: ROOT, encoding: "utf8" }).trim();
const pictures: Record<string, string> = {};
if (openLoop) {
  pictures["latencyCurve"] = `${base}-latency.svg`;
  const title = `Open-loop latency, ${at.slice(0, 16).replace("T", " ")} UTC`;
  writeFileSync(join(dir, pictures["latencyCurve"]), latencyCurve(title, openLoop));
}
const result = {
  schema: 2,
  suite: "bench",
  at,
  commit: git("rev-parse", "HEAD"),
  /** Files of the product (functions, packages) changed against that commit when the run started. */
  dirty: git("status", "--porcelain", "--", "functions", "packages").length > 0,
  scenarios: only ?? Object.keys(SCENARIOS),
  machine: {
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    loadAverage: report.loadAverage,
  },
  stack: { dir: stack().stackDir, portOffset: portOffset() },
  goals: report.goals,
  figures: report.figures,
  openLoop,
  pictures,
  details: report.details,
  notes: report.notes,
};
const file = join(dir, `${base}.json`);
writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);

console.log(
  `\nbenchmark ${at} (${cpus().length} cores; load average at the start ${report.loadAverage["start"]!.join(" ")})\n`,
);
console.table(
  report.goals.map((g) => ({
    goal: g.id,
    ours: `${g.ours.value} ${g.ours.unit}`,
    reference: g.reference ? `${g.reference.value} ${g.reference.unit}` : "",
    value: g.value,
    bound: g.goal,
    met: g.met ? "yes" : "NO",
  })),
);
console.table(
  report.figures.map((f) => ({
    figure: f.name,
    n: f.n,
    p50: f.p50,
    p99: f.p99 ?? "",
    unit: f.unit,
    target: f.target ?? "",
    met: f.met === undefined ? "" : f.met ? "yes" : "NO",
  })),
);
for (const note of report.notes) console.log(`note: ${note}`);
console.log(`written: ${file}${pictures["latencyCurve"] ? ` and ${pictures["latencyCurve"]}` : ""}`);
agent.destroy();
