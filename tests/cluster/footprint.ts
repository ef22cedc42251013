/**
 * The cluster's footprint, from the minikube node container's own cgroup (cgroup v1, Docker's
 * /docker/<id>): the budget that is ENFORCED (its memory limit and CPU quota), what it uses (memory
 * usage, working set, rss, cache; CPU from cpuacct over a window), its failcnt and OOM kills. Beside
 * it, the node's processes (seen from this host: the node is a container here) grouped by what they
 * are, resident memory and CPU, to say where the usage goes.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

const CLOCK_TICKS = 100;
const MB = 2 ** 20;

let nodeId: string | undefined;
function containerId(node: string): string {
  nodeId ??= execFileSync("docker", ["inspect", "-f", "{{.Id}}", node], { encoding: "utf8" }).trim();
  return nodeId;
}
const cgroupFile = (node: string, controller: string, file: string) =>
  readFileSync(`/sys/fs/cgroup/${controller}/docker/${containerId(node)}/${file}`, "utf8").trim();

function memoryStat(node: string): Record<string, number> {
  return Object.fromEntries(
    cgroupFile(node, "memory", "memory.stat")
      .split("\n")
      .map((line) => line.split(" "))
      .map(([key, value]) => [key!, Number(value)]),
  );
}

/** The node's cgroup: its limits and its memory now. */
export function nodeCgroup(node: string) {
  const quota = Number(cgroupFile(node, "cpu", "cpu.cfs_quota_us"));
  const period = Number(cgroupFile(node, "cpu", "cpu.cfs_period_us"));
  const usage = Number(cgroupFile(node, "memory", "memory.usage_in_bytes"));
  const stat = memoryStat(node);
  const oom = /oom_kill (\d+)/.exec(cgroupFile(node, "memory", "memory.oom_control"))?.[1];
  return {
    cgroup: `/docker/${containerId(node).slice(0, 12)}`,
    cpuLimit: quota > 0 ? Number((quota / period).toFixed(2)) : null,
    memoryLimitMb: Math.round(Number(cgroupFile(node, "memory", "memory.limit_in_bytes")) / MB),
    memoryUsageMb: Math.round(usage / MB),
    /** usage - inactive file pages: what the kubelet and `docker stats` count, and what OOM pressure sees. */
    workingSetMb: Math.round((usage - (stat["total_inactive_file"] ?? 0)) / MB),
    rssMb: Math.round((stat["total_rss"] ?? 0) / MB),
    cacheMb: Math.round((stat["total_cache"] ?? 0) / MB),
    shmemMb: Math.round((stat["total_shmem"] ?? 0) / MB),
    maxUsageMb: Math.round(Number(cgroupFile(node, "memory", "memory.max_usage_in_bytes")) / MB),
    failcnt: Number(cgroupFile(node, "memory", "memory.failcnt")),
    oomKills: oom === undefined ? null : Number(oom),
  };
}

interface ProcessSample {
  readonly pid: number;
  readonly group: string;
  readonly rssBytes: number;
  readonly cpuTicks: number;
}

/** Which part of the cluster a process of the node belongs to, from its command line. */
function groupOf(command: string, inPod: boolean): string {
  const binary = command.split(" ")[0]?.split("/").pop() ?? "";
  if (!inPod) {
    if (
      ["kubelet", "containerd", "containerd-shim-runc-v2", "dockerd", "sshd", "systemd", "systemd-journald"].includes(
        binary,
      )
    ) {
      return `node: ${binary.replace(/-runc-v2$/, "")}`;
    }
    return "node: other";
  }
  const patterns: [RegExp, string][] = [
    [/faas-js-runtime/, "functions (Node)"],
    [/\/daprd\b.*--mode=kubernetes/, "Dapr Shared daprds"],
    [/\/(operator|sentry|injector|scheduler|placement)\b/, "Dapr control plane"],
    [/^kube-apiserver|\/kube-apiserver\b/, "kube-apiserver"],
    [/^kube-controller-manager|\/kube-controller-manager\b/, "kube-controller-manager"],
    [/^kube-scheduler|\/kube-scheduler\b/, "kube-scheduler"],
    [/^etcd\b|\/etcd\b/, "etcd"],
    [/\/kube-proxy\b/, "kube-proxy"],
    [/\/(controller|webhook|activator|autoscaler)\b/, "Knative"],
    [/\/queue\b/, "Knative queue-proxy"],
    [/\/traefik\b/, "Traefik"],
    [/\/coredns\b/, "CoreDNS"],
    [/\/storage-provisioner\b/, "storage provisioner"],
    [/kafka\.Kafka/, "Kafka"],
    [/postgres/, "PostgreSQL"],
    [/\/floor\b/, "cold-start floor"],
    [/\/pause\b/, "pause containers"],
  ];
  return patterns.find(([pattern]) => pattern.test(command))?.[1] ?? "other pods";
}

function sample(node: string): ProcessSample[] {
  const id = containerId(node);
  const samples: ProcessSample[] = [];
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      const cgroup = readFileSync(`/proc/${pid}/cgroup`, "utf8");
      if (!cgroup.includes(`/docker/${id}`)) continue;
      const command = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim();
      if (!command) continue; // kernel threads
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      samples.push({
        pid: Number(pid),
        group: groupOf(command, cgroup.includes("kubepods")),
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
  /** The node container's cgroup at the end of the window, and its CPU over the window (cores). */
  readonly node: ReturnType<typeof nodeCgroup> & { readonly cores: number };
  /** Resident memory of the node's processes at the end of the window, MB, by group and in all. */
  readonly processesMb: Record<string, number>;
  /** CPU of the node's processes over the window, cores, by group and in all. */
  readonly processCores: Record<string, number>;
}

/** Measures over a window: CPU from cpuacct and the processes' tick counters, memory at the end. */
export async function measureFootprint(
  node: string,
  seconds: number,
  during: Promise<unknown> = Promise.resolve(),
): Promise<Footprint> {
  const before = new Map(sample(node).map((s) => [s.pid, s]));
  const cpuBefore = Number(cgroupFile(node, "cpuacct", "cpuacct.usage"));
  const started = Date.now();
  await Promise.all([during, new Promise((resolve) => setTimeout(resolve, seconds * 1000))]);
  const elapsed = (Date.now() - started) / 1000;
  const cores = (Number(cgroupFile(node, "cpuacct", "cpuacct.usage")) - cpuBefore) / 1e9 / elapsed;
  const after = sample(node);
  const memory: Record<string, number> = {};
  const cpu: Record<string, number> = {};
  for (const s of after) {
    const ticks = s.cpuTicks - (before.get(s.pid)?.cpuTicks ?? 0);
    memory[s.group] = (memory[s.group] ?? 0) + s.rssBytes / MB;
    cpu[s.group] = (cpu[s.group] ?? 0) + ticks / CLOCK_TICKS / elapsed;
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
    node: { ...nodeCgroup(node), cores: Number(cores.toFixed(2)) },
    processesMb: { total: Number(total(memory).toFixed(0)), ...round(memory, 0) },
    processCores: { total: Number(total(cpu).toFixed(2)), ...round(cpu, 2) },
  };
}
