/**
 * The cluster's footprint as the node sees it: every process of the node (the Kubernetes
 * components, containerd and its shims, and everything running in a pod), their resident memory
 * and the CPU they use over a window, grouped by what they are.
 */
import { readdirSync, readFileSync } from "node:fs";

const HOST_COMPONENTS = [
  "etcd",
  "kube-apiserver",
  "kube-controller-manager",
  "kube-scheduler",
  "kubelet",
  "kube-proxy",
  "containerd",
  "containerd-shim-runc-v2",
];
const CLOCK_TICKS = 100;

interface ProcessSample {
  readonly pid: number;
  readonly group: string;
  readonly rssBytes: number;
  readonly cpuTicks: number;
}

/** Which part of the cluster a process belongs to, from its cgroup and command line. */
function groupOf(pid: string): string | undefined {
  let cgroup: string;
  let command: string;
  try {
    cgroup = readFileSync(`/proc/${pid}/cgroup`, "utf8");
    command = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return undefined;
  }
  const binary = command.split(" ")[0]?.split("/").pop() ?? "";
  if (!cgroup.includes("kubepods")) {
    return HOST_COMPONENTS.includes(binary) ? `node: ${binary.replace(/-runc-v2$/, "")}` : undefined;
  }
  const patterns: [RegExp, string][] = [
    [/faas-js-runtime/, "functions (Node)"],
    [/\/daprd\b.*--mode=kubernetes/, "Dapr Shared daprds"],
    [/\/(operator|sentry|injector|scheduler|placement)\b/, "Dapr control plane"],
    [/\/(controller|webhook|activator|autoscaler)\b/, "Knative"],
    [/\/queue\b/, "Knative queue-proxy"],
    [/\/traefik\b/, "Traefik"],
    [/\/coredns\b/, "CoreDNS"],
    [/kafka\.Kafka/, "Kafka"],
    [/postgres/, "PostgreSQL"],
    [/\/floor\b/, "cold-start floor"],
    [/\/pause\b/, "pause containers"],
  ];
  return patterns.find(([pattern]) => pattern.test(command))?.[1] ?? "other pods";
}

function sample(): ProcessSample[] {
  const samples: ProcessSample[] = [];
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    const group = groupOf(pid);
    if (!group) continue;
    try {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      samples.push({
        pid: Number(pid),
        group,
        rssBytes: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024,
        cpuTicks: Number(fields[11]) + Number(fields[12]), // utime + stime
      });
    } catch {
      // the process ended meanwhile
    }
  }
  return samples;
}

export interface Footprint {
  readonly seconds: number;
  /** Resident memory at the end of the window, MB, by group and in all. */
  readonly memoryMb: Record<string, number>;
  /** CPU used over the window in cores (CPU seconds per second), by group and in all. */
  readonly cores: Record<string, number>;
}

/** Measures over a window: CPU from the processes' tick counters, memory at the end. */
export async function measureFootprint(
  seconds: number,
  during: Promise<unknown> = Promise.resolve(),
): Promise<Footprint> {
  const before = new Map(sample().map((s) => [s.pid, s]));
  const started = Date.now();
  await Promise.all([during, new Promise((resolve) => setTimeout(resolve, seconds * 1000))]);
  const elapsed = (Date.now() - started) / 1000;
  const after = sample();
  const memoryMb: Record<string, number> = {};
  const cores: Record<string, number> = {};
  for (const s of after) {
    const ticks = s.cpuTicks - (before.get(s.pid)?.cpuTicks ?? 0);
    memoryMb[s.group] = (memoryMb[s.group] ?? 0) + s.rssBytes / 2 ** 20;
    cores[s.group] = (cores[s.group] ?? 0) + ticks / CLOCK_TICKS / elapsed;
  }
  const round = (record: Record<string, number>, digits: number) =>
    Object.fromEntries(
      Object.entries(record)
        .sort(([, a], [, b]) => b - a)
        .map(([key, value]) => [key, Number(value.toFixed(digits))]),
    );
  const total = (record: Record<string, number>) => Object.values(record).reduce((sum, value) => sum + value, 0);
  return {
    seconds: Number(elapsed.toFixed(1)),
    memoryMb: { total: Number(total(memoryMb).toFixed(0)), ...round(memoryMb, 0) },
    cores: { total: Number(total(cores).toFixed(2)), ...round(cores, 2) },
  };
}
