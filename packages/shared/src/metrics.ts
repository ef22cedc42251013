import { createRequire } from "node:module";
import type * as PromClient from "prom-client";

/**
 * The functions' own metrics, served on faas-js-runtime's `/metrics` beside the runtime's
 * (invocations, latency, cold start) with its labels (faas_name, ...). The runtime keeps its
 * prom-client registry to itself, so our metrics are made with its copy of prom-client and handed
 * to that registry when it is made (library-patches.ts).
 */
export const promClient = createRequire(createRequire(import.meta.url).resolve("faas-js-runtime"))(
  "prom-client",
) as typeof PromClient;

export type Counter<L extends string> = PromClient.Counter<L>;
export type Gauge<L extends string> = PromClient.Gauge<L>;
export type Histogram<L extends string> = PromClient.Histogram<L>;

const ours: PromClient.Metric[] = [];

/** Every metric made here, for the runtime's registry. */
export const ownMetrics = (): readonly PromClient.Metric[] => ours;

export function counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
  const metric = new promClient.Counter<L>({ name, help, labelNames, registers: [] });
  ours.push(metric);
  return metric;
}

/** A gauge whose value is read when it is scraped. */
export function gauge<L extends string>(
  name: string,
  help: string,
  collect: (gauge: Gauge<L>) => void,
  labelNames: readonly L[] = [],
): Gauge<L> {
  const metric = new promClient.Gauge<L>({
    name,
    help,
    labelNames,
    registers: [],
    collect() {
      collect(this);
    },
  });
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
