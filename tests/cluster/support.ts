/**
 * What the cluster tests need from the live Minikube cluster (npm run cluster:up writes its
 * description to the tools cache, cluster/cluster.json; hack/cluster/test.sh passes its path in
 * CLUSTER_JSON): kubectl, minikube and func as a user runs them, the ingress, the broker, the
 * functions' secrets, pod counts over time.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { readToEnd, waitForRecords, type TopicRecord } from "../../scripts/kafka-topics.ts";
import { httpCall, type HttpAnswer } from "../support/stack.ts";
import type { CloudEventRequest } from "../support/fixtures.ts";

export type { TopicRecord };
export type ServiceName = "publish-task-event" | "schedule-reminder" | "emit-reminder" | "cold-start-floor";
export const FUNCTIONS = ["publish-task-event", "schedule-reminder", "emit-reminder"] as const;
export type FunctionName = (typeof FUNCTIONS)[number];
export const ROOT = join(import.meta.dirname, "..", "..");

interface ClusterInfo {
  readonly kubeconfig: string;
  readonly context: string;
  /** PATH with the cluster kit's kubectl, minikube, helm and func. */
  readonly path: string;
  readonly minikubeHome: string;
  readonly profile: string;
  /** The minikube node's Docker container, and its IP on the Docker bridge. */
  readonly node: string;
  readonly nodeIp: string;
  /** Public entry point of the ingress (the node's IP, port 80) and the private one (a ClusterIP). */
  readonly ingress: string;
  readonly privateIngress: string;
  readonly domain: string;
  readonly namespace: string;
  readonly kafka: string;
}

const CLUSTER_JSON =
  process.env["CLUSTER_JSON"] ??
  join(process.env["HOME"] ?? "/root", ".cache", "todo-event-backbone", "cluster", "cluster.json");
let info: ClusterInfo | undefined;
export function cluster(): ClusterInfo {
  info ??= JSON.parse(readFileSync(CLUSTER_JSON, "utf8")) as ClusterInfo;
  return info;
}

/**
 * The environment the cluster kit's commands run in: its tools first on PATH (each behind a wrapper
 * that sends whatever it would fetch from the internet to the deny-proxy, hack/cluster/artifacts.sh).
 */
export function toolEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const c = cluster();
  return {
    ...process.env,
    PATH: c.path,
    KUBECONFIG: c.kubeconfig,
    MINIKUBE_HOME: c.minikubeHome,
    ...extra,
  };
}

/** Runs one of the cluster kit's tools (kubectl, minikube, func, bash); returns stdout. */
export async function tool(
  command: string,
  args: readonly string[],
  options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {},
): Promise<string> {
  const { stdout } = await promisify(execFile)(command, args, {
    env: toolEnv(options.env),
    cwd: options.cwd ?? ROOT,
    maxBuffer: 64 * 1024 * 1024,
    timeout: options.timeoutMs ?? 600_000,
  });
  return stdout;
}

/** kubectl against the cluster; returns stdout. */
export const kubectl = (...args: string[]) => tool("kubectl", ["--context", cluster().context, ...args]);
/** A long-running kubectl (a watch, a log stream). */
export const kubectlStream = (...args: string[]): ChildProcess =>
  spawn("kubectl", ["--context", cluster().context, ...args], { env: toolEnv(), stdio: ["ignore", "pipe", "pipe"] });

/** A key of a Secret in the backbone's namespace (the functions' tokens). */
const secrets = new Map<string, string>();
export async function secretOf(name: string, key: string): Promise<string> {
  const id = `${name}/${key}`;
  if (!secrets.has(id)) {
    const encoded = await kubectl("get", "secret", name, "-n", cluster().namespace, "-o", `jsonpath={.data.${key}}`);
    secrets.set(id, Buffer.from(encoded, "base64").toString("utf8"));
  }
  return secrets.get(id)!;
}

/** The public host of a Knative Service, as its URL names it: <service>.<namespace>.<node IP>.sslip.io. */
export const publicHost = (service: ServiceName) => `${service}.${cluster().namespace}.${cluster().domain}`;

/**
 * A request through Traefik, Knative's ingress, as a client would send it: public hosts on the
 * public entry point (the node's IP, port 80), cluster-local ones
 * (<service>.todo.svc.cluster.local) on the private one.
 */
export function throughIngress(
  service: ServiceName,
  request: { method?: string; path?: string; headers: Record<string, string>; body: string | Buffer },
): Promise<HttpAnswer> {
  const internal = service === "schedule-reminder" || service === "emit-reminder";
  const host = internal ? `${service}.${cluster().namespace}.svc.cluster.local` : publicHost(service);
  const base = internal ? cluster().privateIngress : cluster().ingress;
  return httpCall(
    `${base}${request.path ?? "/"}`,
    request.method ?? "POST",
    { host, ...request.headers },
    request.body,
  );
}

/** Posts a CloudEvent to publish-task-event through the public ingress, as the chat API would. */
export async function publish(request: CloudEventRequest): Promise<HttpAnswer> {
  const token = await secretOf("publish-task-event-clients", "tokens");
  return throughIngress("publish-task-event", {
    headers: { authorization: `Bearer ${token}`, ...request.headers },
    body: request.body,
  });
}

export const readTopicToEnd = (topic: string, matches: (record: TopicRecord) => boolean) =>
  readToEnd(cluster().kafka, topic, matches);
export const waitForTopic = (
  topic: string,
  matches: (record: TopicRecord) => boolean,
  options: { enough: (records: TopicRecord[]) => boolean; timeoutMs: number },
) => waitForRecords(cluster().kafka, topic, matches, options);

export interface PodView {
  readonly metadata: {
    readonly name: string;
    readonly labels?: Record<string, string>;
    readonly deletionTimestamp?: string;
  };
  readonly status: {
    readonly phase: string;
    readonly containerStatuses?: readonly {
      readonly name: string;
      readonly restartCount: number;
      readonly lastState?: { readonly terminated?: { readonly reason?: string } };
      readonly state?: { readonly terminated?: { readonly reason?: string } };
    }[];
  };
}

export async function podsOf(namespace: string, selector: string): Promise<PodView[]> {
  const list = JSON.parse(await kubectl("get", "pods", "-n", namespace, "-l", selector, "-o", "json")) as {
    items: PodView[];
  };
  return list.items;
}

/** Pods of a Knative Service that exist and are not being deleted. */
export async function podCount(service: ServiceName): Promise<number> {
  const pods = await podsOf(cluster().namespace, `serving.knative.dev/service=${service}`);
  return pods.filter((pod) => !pod.metadata.deletionTimestamp && pod.status.phase !== "Succeeded").length;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Crashes a pod as a crash would: SIGKILL to every process of its containers (not the pause
 * container holding its network), so the kubelet restarts them in place. The node is a container
 * on this host, so its processes are this host's: found by the pod's cgroup in /proc. Not
 * `kubectl delete --force`: that removes the pod object at once while its processes may still
 * run, and for a StatefulSet the replacement can start beside them - two PostgreSQL servers on
 * one data directory lost committed transactions when we did that.
 */
export async function crashPod(namespace: string, name: string): Promise<number> {
  const uid = await kubectl("get", "pod", name, "-n", namespace, "-o", "jsonpath={.metadata.uid}");
  let killed = 0;
  for (const pid of readdirSync("/proc").filter((entry) => /^\d+$/.test(entry))) {
    try {
      if (!readFileSync(`/proc/${pid}/cgroup`, "utf8").includes(`pod${uid}`)) continue;
      if (readFileSync(`/proc/${pid}/cmdline`, "utf8").startsWith("/pause")) continue;
      process.kill(Number(pid), "SIGKILL");
      killed++;
    } catch {
      // ended meanwhile
    }
  }
  return killed;
}

/** Samples the pod count of each service every `everyMs` until stopped: a timeline of changes. */
export class PodTimeline {
  private readonly changes: { at: number; service: ServiceName; pods: number }[] = [];
  private readonly last = new Map<ServiceName, number>();
  private running = true;
  private readonly loop: Promise<void>;
  readonly started = Date.now();

  constructor(services: readonly ServiceName[], everyMs = 500) {
    this.loop = (async () => {
      while (this.running) {
        const at = Date.now();
        const counts = await Promise.all(services.map((service) => podCount(service).catch(() => undefined)));
        services.forEach((service, i) => {
          const count = counts[i];
          if (count !== undefined && this.last.get(service) !== count) {
            this.changes.push({ at, service, pods: count });
            this.last.set(service, count);
          }
        });
        await sleep(everyMs);
      }
    })();
  }

  current(service: ServiceName): number | undefined {
    return this.last.get(service);
  }

  /** The most pods `service` had at once. */
  peak(service: ServiceName): number {
    return Math.max(0, ...this.changes.filter((c) => c.service === service).map((c) => c.pods));
  }

  /** The moments `service` went to zero pods, ms since the epoch. */
  zeroAt(service: ServiceName): number[] {
    return this.changes.filter((c) => c.service === service && c.pods === 0).map((c) => c.at);
  }

  /** How many times `service` went from zero to at least one pod. */
  wakes(service: ServiceName): number {
    let wakes = 0;
    let before: number | undefined;
    for (const change of this.changes.filter((c) => c.service === service)) {
      if (before === 0 && change.pods > 0) wakes++;
      before = change.pods;
    }
    return wakes;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** "t=+12.3s publish-task-event 0 -> 1", one line per change, relative to `origin`. */
  render(origin = this.started): string {
    const previous = new Map<ServiceName, number>();
    return this.changes
      .map((change) => {
        const before = previous.get(change.service);
        previous.set(change.service, change.pods);
        const t = ((change.at - origin) / 1000).toFixed(1);
        return `  t=${t.padStart(7)}s  ${change.service.padEnd(20)} ${before ?? "?"} -> ${change.pods} pods`;
      })
      .join("\n");
  }
}

/** Waits until every one of `services` has no pod (Knative scaled it to zero); throws after `timeoutMs`. */
export async function allAtZero(services: readonly ServiceName[], timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await Promise.all(services.map((service) => podCount(service)));
    if (counts.every((count) => count === 0)) return Date.now();
    if (Date.now() > deadline) {
      throw new Error(
        `not at zero after ${timeoutMs / 1000} s: ${services.map((s, i) => `${s}=${counts[i]}`).join(", ")}`,
      );
    }
    await sleep(1000);
  }
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}
