/**
 * What the cluster tests need from the live cluster (scripts/cluster/cluster.sh up writes its
 * description to /var/lib/todo-cluster/cluster.json): kubectl, the ingress, the broker, the
 * functions' secrets, pod counts over time.
 */
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { readToEnd, waitForRecords, type TopicRecord } from "../../scripts/kafka-topics.ts";
import { httpCall, type HttpAnswer } from "../support/stack.ts";
import type { CloudEventRequest } from "../support/fixtures.ts";

export type { TopicRecord };
export type ServiceName = "publish-task-event" | "schedule-reminder" | "emit-reminder" | "cold-start-floor";
export const FUNCTIONS = ["publish-task-event", "schedule-reminder", "emit-reminder"] as const;

interface ClusterInfo {
  readonly kubeconfig: string;
  readonly binaries: string;
  readonly ingress: string;
  readonly privateIngress: string;
  readonly domain: string;
  readonly namespace: string;
  readonly kafka: string;
}

const CLUSTER_DIR = process.env["CLUSTER_DIR"] ?? "/var/lib/todo-cluster";
let info: ClusterInfo | undefined;
export function cluster(): ClusterInfo {
  info ??= JSON.parse(readFileSync(join(CLUSTER_DIR, "cluster.json"), "utf8")) as ClusterInfo;
  return info;
}

/** kubectl against the local cluster; returns stdout. */
export async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(join(cluster().binaries, "kubernetes-v1.34.4", "kubectl"), args, {
    env: { ...process.env, KUBECONFIG: cluster().kubeconfig },
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

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

/**
 * A request through Traefik, Knative's ingress, as a client would send it: public hosts
 * (<service>.todo.example.com) on the public entry point, cluster-local ones
 * (<service>.todo.svc.cluster.local) on the private one.
 */
export function throughIngress(
  service: ServiceName,
  request: { method?: string; path?: string; headers: Record<string, string>; body: string | Buffer },
): Promise<HttpAnswer> {
  const internal = service === "schedule-reminder" || service === "emit-reminder";
  const host = internal
    ? `${service}.${cluster().namespace}.svc.cluster.local`
    : `${service}.${cluster().namespace}.${cluster().domain}`;
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

interface PodView {
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
 * Crashes a pod as a crash would: SIGKILL from the node to every process of its containers (not
 * the pause container holding its network), so the kubelet restarts them in place. Not
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
        const counts = await Promise.all(services.map((service) => podCount(service)));
        services.forEach((service, i) => {
          if (this.last.get(service) !== counts[i]) {
            this.changes.push({ at, service, pods: counts[i]! });
            this.last.set(service, counts[i]!);
          }
        });
        await sleep(everyMs);
      }
    })();
  }

  current(service: ServiceName): number | undefined {
    return this.last.get(service);
  }

  /** The moments `service` went to zero pods, ms since the epoch. */
  zeroAt(service: ServiceName): number[] {
    return this.changes.filter((c) => c.service === service && c.pods === 0).map((c) => c.at);
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
