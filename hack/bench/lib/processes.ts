/**
 * CPU and memory of the local stack's processes, read from /proc. A piece is its recorded process
 * and every descendant: PostgreSQL's backends each start their own session, so sessions would miss
 * them.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const CLOCK_TICKS = 100;

function stat(pid: string): { parent: number; ticks: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    // utime + stime, and cutime + cstime: the CPU of children that ended (PostgreSQL's backends).
    const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
    return { parent: Number(fields[1]), ticks };
  } catch {
    return undefined; // ended meanwhile
  }
}

function rssBytes(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** The recorded pid of each running piece of the stack, from its pid file. */
export function pieces(runDir: string, names: readonly string[]): Map<string, number> {
  return new Map(names.map((name) => [name, Number(readFileSync(join(runDir, `${name}.pid`), "utf8").trim())]));
}

/** CPU ticks used so far by each piece: its process and all its descendants. */
export function cpuTicksByPiece(roots: ReadonlyMap<string, number>): Map<string, number> {
  const byName = new Map<string, number>([...roots.keys()].map((name) => [name, 0]));
  const nameOf = new Map([...roots].map(([name, pid]) => [pid, name]));
  const processes = new Map<number, { parent: number; ticks: number }>();
  for (const pid of readdirSync("/proc").filter((entry) => /^\d+$/.test(entry))) {
    const s = stat(pid);
    if (s) processes.set(Number(pid), s);
  }
  for (const [pid, { ticks }] of processes) {
    let ancestor: number | undefined = pid;
    while (ancestor !== undefined && ancestor > 1 && !nameOf.has(ancestor)) ancestor = processes.get(ancestor)?.parent;
    const name = ancestor === undefined ? undefined : nameOf.get(ancestor);
    if (name) byName.set(name, (byName.get(name) ?? 0) + ticks);
  }
  return byName;
}

/** CPU milliseconds each piece used between two readings. */
export function cpuMsBetween(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  return Object.fromEntries(
    [...after].map(([name, ticks]) => [name, ((ticks - (before.get(name) ?? 0)) * 1000) / CLOCK_TICKS]),
  );
}

/** Resident memory of one process (a function is one process: its recorded pid), MB. */
export const rssMb = (pid: number) => rssBytes(pid) / 2 ** 20;

/** This benchmark's own CPU, ms. */
export const selfCpuMs = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};
