/**
 * Starting and stopping the processes the bench measures beside the stack's own: the stock
 * faas-js-runtime with an empty handler, a function bundled another way, the floor (the bare
 * node:http forwarder to daprd); and waiting until the stack is quiet between measurements.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sleep, stack, type FunctionName } from "../../../tests/support/stack.ts";
import { PIECES, ROOT, now, portOffset } from "./context.ts";
import { cpuMsBetween, cpuTicksByPiece, pieces } from "./processes.ts";
import type { Report } from "./report.ts";

/**
 * The stock runtime with a function that does nothing: the baseline for start time, memory and
 * CPU per request. Inside the stack's folder, so that it finds the runtime; the copy with a warm
 * compile cache is the fair reference for that trick of ours (NODE_COMPILE_CACHE, see func.yaml).
 */
export function stockFunctionDir(withCompileCache: boolean): string {
  const dir = join(stack().stackDir, withCompileCache ? "bench-stock-compile-cache" : "bench-stock");
  mkdirSync(join(dir, "build"), { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
  writeFileSync(join(dir, "build", "index.js"), "export const handle = () => ({ ok: true });\n");
  if (withCompileCache) {
    copyFileSync(join(ROOT, "scripts", "warm-compile-cache.mjs"), join(dir, "build", "warm-compile-cache.mjs"));
    execFileSync(process.execPath, ["build/warm-compile-cache.mjs"], { cwd: dir });
  }
  return dir;
}

export const ON_PG = "schedule-reminder on pg alone (alternative, not used)";

/**
 * schedule-reminder bundled with hack/bench/pg-reminder-store.ts in place of @todo/reminder-store
 * (Prisma): the alternative to Prisma, measured beside the function as it is (not used).
 */
export function bundleScheduleReminderOnPg(): string {
  const dir = join(stack().stackDir, "bench-schedule-reminder-pg");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
  execFileSync(
    process.execPath,
    [
      join(ROOT, "scripts", "bundle-function.mjs"),
      `--outdir=${join(dir, "build")}`,
      `--alias=@todo/reminder-store=${join(ROOT, "hack", "bench", "pg-reminder-store.ts")}`,
    ],
    { cwd: join(ROOT, "functions", "schedule-reminder"), stdio: "inherit" },
  );
  return dir;
}

export type Kind = FunctionName | "stock" | "stock + compile cache" | typeof ON_PG;

/** Each function's environment exactly as hack/stack.sh gives it (secrets, V8 limits), on `port`. */
export function functionEnv(kind: Kind, port: number): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { PATH: process.env["PATH"], FUNC_LOG_LEVEL: "warn" };
  if (kind === "stock + compile cache") {
    Object.assign(base, { NODE_COMPILE_CACHE: ".compile-cache", NODE_COMPILE_CACHE_PORTABLE: "1" });
  }
  const env =
    kind === "stock" || kind === "stock + compile cache"
      ? base
      : Object.fromEntries(
          execFileSync(stack().stackScript, ["function-env", kind === ON_PG ? "schedule-reminder" : kind], {
            encoding: "utf8",
            env: { ...process.env, STACK_DIR: stack().stackDir, STACK_PORT_OFFSET: String(portOffset()) },
          })
            .split("\n")
            .filter((line) => line.includes("="))
            .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
        );
  return { ...env, FUNC_PORT: String(port) };
}

/** Every process the bench started and has not stopped: ended with it, however it ends. */
const started = new Set<ChildProcess>();
export function stopAllOnExit(): void {
  const stopAll = () => {
    for (const child of started) child.kill("SIGKILL");
  };
  process.on("exit", stopAll);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      stopAll();
      process.exit(130);
    });
  }
}

/** Starts a process of the bench's own (see stopAllOnExit). */
export function track(child: ChildProcess): ChildProcess {
  started.add(child);
  child.once("exit", () => started.delete(child));
  return child;
}

export function startRuntime(env: NodeJS.ProcessEnv, cwd: string): ChildProcess {
  return track(
    spawn(join(ROOT, "node_modules", ".bin", "faas-js-runtime"), ["./build/index.js"], { cwd, env, stdio: "ignore" }),
  );
}

/** Waits until `url` answers anything (`ok`: a 2xx) . */
async function untilAnswers(url: string, ok: boolean, everyMs: number): Promise<void> {
  for (;;) {
    const answered = await fetch(url).then(
      (r) => !ok || r.ok,
      () => false,
    );
    if (answered) return;
    await sleep(everyMs);
  }
}

export const untilLive = (port: number) => untilAnswers(`http://127.0.0.1:${port}/health/liveness`, true, 2);

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill("SIGTERM");
  await new Promise((resolve) => child.once("exit", resolve));
}

/** The floor: the bare node:http forwarder (hack/bench/forwarder.mjs) to publish-task-event's daprd, on `port`. */
export async function startForwarder(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(ROOT, "hack", "bench", "forwarder.mjs")], {
    env: {
      PATH: process.env["PATH"],
      FUNC_PORT: String(port),
      FORWARD_TO: stack().functions["publish-task-event"].dapr,
    },
    stdio: "ignore",
  });
  await untilAnswers(`http://127.0.0.1:${port}/`, false, 5);
  return child;
}

/**
 * Waits until the stack is quiet (all its processes together under 15 % of a core for a second;
 * at rest they use 5-8 % here, a consumer catching up with a load 30 % and more): a stack just
 * started, or a consumer still catching up, is not.
 */
export async function untilQuiet(report: Report, withinMs = 60_000): Promise<void> {
  const sessions = pieces(stack().run, PIECES);
  for (const deadline = now() + withinMs; now() < deadline;) {
    const before = cpuTicksByPiece(sessions);
    await sleep(1000);
    const used = Object.values(cpuMsBetween(before, cpuTicksByPiece(sessions))).reduce((a, b) => a + b, 0);
    if (used < 150) return;
  }
  report.note(`the stack did not become quiet within ${withinMs / 1000} s; measured anyway`);
}

/** `n` calls, `workers` at a time (closed loop: each worker calls again once its call ended). */
export async function inParallel(n: number, workers: number, call: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (let i = next++; i < n; i = next++) await call(i);
    }),
  );
}
