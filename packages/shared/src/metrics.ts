import { createRequire } from "node:module";
import type * as PromClient from "prom-client";

/**
 * The functions' own metrics, served on faas-js-runtime's `/metrics` beside the runtime's
 * (invocations, latency, cold start) with its labels (faas_name, ...). The runtime keeps its
 * prom-client registry to itself, so we use its copy of prom-client, and hand our metrics to the
 * first registry it makes - at start, after `init` ran.
 */
const promClient = createRequire(createRequire(import.meta.url).resolve("faas-js-runtime"))(
  "prom-client",
) as typeof PromClient;

export type Counter<L extends string> = PromClient.Counter<L>;
export type Histogram<L extends string> = PromClient.Histogram<L>;

const ours: PromClient.Metric[] = [];

export function counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
  const metric = new promClient.Counter<L>({ name, help, labelNames, registers: [] });
  ours.push(metric);
  return metric;
}

export function histogram<L extends string>(
  name: string,
  help: string,
  buckets: number[],
  labelNames: readonly L[] = [],
): Histogram<L> {
  const metric = new promClient.Histogram<L>({ name, help, buckets, labelNames, registers: [] });
  ours.push(metric);
  return metric;
}

/** Call from `init`: the registry faas-js-runtime creates next (for /metrics) gets our metrics too. */
export function serveOnRuntimeMetrics(): void {
  const prototype = promClient.Registry.prototype;
  const { setDefaultLabels } = Object.getOwnPropertyDescriptors(prototype);
  prototype.setDefaultLabels = function (this: PromClient.Registry, labels: object) {
    Object.defineProperty(prototype, "setDefaultLabels", setDefaultLabels);
    this.setDefaultLabels(labels);
    for (const metric of ours) this.registerMetric(metric);
  };
}
