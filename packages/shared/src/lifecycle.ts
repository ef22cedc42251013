import { subscribe } from "node:diagnostics_channel";
import type { IncomingMessage } from "node:http";
import { createRequire } from "node:module";

/**
 * Tracks requests in flight so that shutdown can let them finish (Knative sends SIGTERM, then
 * waits terminationGracePeriodSeconds) instead of dropping a publish half-way.
 */
export class InFlight {
  private readonly pending = new Set<Promise<unknown>>();
  private stopping = false;

  get draining(): boolean {
    return this.stopping;
  }

  track<T>(work: Promise<T>): Promise<T> {
    this.pending.add(work);
    const forget = () => this.pending.delete(work);
    work.then(forget, forget);
    return work;
  }

  /** Refuses new work from now on and waits (at most `timeoutMs`) for what is running. */
  async drain(timeoutMs: number): Promise<void> {
    this.stopping = true;
    const deadline = new Promise((resolve) => setTimeout(resolve, timeoutMs).unref());
    await Promise.race([Promise.allSettled([...this.pending]), deadline]);
  }
}

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
  const { HTTP } = runtimeRequire("cloudevents") as { HTTP: { isEvent: (request: unknown) => boolean } };
  HTTP.isEvent = () => false;
}

/**
 * A Dapr job fires as `POST /job/<name>` on the app that owns it, but faas-js-runtime routes only
 * `/`, and Dapr counts the 404 as delivered (the trigger is lost). Node announces each request on
 * the `http.server.request.start` diagnostics channel before any router sees it: there we turn
 * `/job/<name>` into `/?job=<name>`, so the handler gets the trigger with the job's name.
 */
export function routeDaprJobTriggersToRoot(): void {
  if (jobRouteInstalled) return;
  jobRouteInstalled = true;
  subscribe("http.server.request.start", (message) => {
    const request = (message as { request: IncomingMessage }).request;
    const match = request.method === "POST" ? /^\/job\/([^?]+)/.exec(request.url ?? "") : null;
    if (match?.[1] !== undefined) request.url = `/?job=${match[1]}`;
  });
}
let jobRouteInstalled = false;
