/**
 * The two places where we reach into a library's internals, both in faas-js-runtime (pinned to an
 * exact version in each function's package.json). `test/library-patches.test.ts` starts the real
 * runtime with them and fails loudly if either library changes shape.
 */
import { createRequire } from "node:module";
import type * as PromClient from "prom-client";
import { ownMetrics, promClient } from "./metrics.ts";

/**
 * faas-js-runtime parses and validates every CloudEvent with its own copy of the CloudEvents SDK
 * before the handler runs, and answers 500 when that fails in a way it did not foresee (a batch
 * of events, a missing ce-source, a delivery whose wrapper it dislikes: Dapr then retries that
 * record forever). Our handlers parse each request themselves, once, with every failure a 4xx
 * that says why; so the runtime is told that no request is a CloudEvent, and hands over the
 * headers and the body as they came.
 */
export function parseCloudEventsInTheHandler(): void {
  const runtimeRequire = createRequire(createRequire(import.meta.url).resolve("faas-js-runtime"));
  const sdk = runtimeRequire("cloudevents") as { HTTP?: { isEvent?: unknown } };
  if (typeof sdk.HTTP?.isEvent !== "function") {
    throw new Error("faas-js-runtime's CloudEvents SDK has no HTTP.isEvent: library-patches.ts needs updating");
  }
  sdk.HTTP.isEvent = () => false;
}

/**
 * The runtime makes its prom-client registry at start, after `init`, and calls its
 * `setDefaultLabels` once: that call is where our metrics join it. Call from `init`.
 */
export function serveOurMetricsOnTheRuntimes(): void {
  const prototype = promClient.Registry.prototype;
  const setDefaultLabels: PropertyDescriptor | undefined = Object.getOwnPropertyDescriptor(
    prototype,
    "setDefaultLabels",
  );
  if (typeof setDefaultLabels?.value !== "function") {
    throw new Error("prom-client's Registry has no setDefaultLabels: library-patches.ts needs updating");
  }
  prototype.setDefaultLabels = function (this: PromClient.Registry, labels: object) {
    Object.defineProperty(prototype, "setDefaultLabels", setDefaultLabels);
    this.setDefaultLabels(labels);
    for (const metric of ownMetrics()) this.registerMetric(metric);
  };
}
