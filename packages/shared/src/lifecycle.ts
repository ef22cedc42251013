import { subscribe } from "node:diagnostics_channel";
import type { IncomingMessage } from "node:http";
import { createRequire } from "node:module";
import { problem, type FunctionResponse } from "./problem.ts";

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
 * faas-js-runtime validates CloudEvents before the handler runs and lets the SDK's ValidationError
 * become a 500 (e.g. a binary event without ce-source). Such an error is the client's: giving the
 * runtime's own CloudEvents SDK a 400 status makes Fastify answer 400 with the SDK's message.
 */
export function answerRuntimeValidationErrorsWith400(): void {
  const runtimeRequire = createRequire(createRequire(import.meta.url).resolve("faas-js-runtime"));
  const { ValidationError } = runtimeRequire("cloudevents") as { ValidationError: { prototype: object } };
  Object.defineProperty(ValidationError.prototype, "statusCode", { value: 400, configurable: true });
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

/**
 * With Dapr's app API token set (APP_API_TOKEN), daprd sends it in `dapr-api-token` on every call
 * to the app: anything without it did not come from our sidecar. Returns the 401 to answer, if any.
 */
export function refuseUnlessFromSidecar(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  token: string | undefined = process.env["APP_API_TOKEN"],
): FunctionResponse | undefined {
  if (!token || headers["dapr-api-token"] === token) return undefined;
  return problem(401, "calls to this function must come from its Dapr sidecar", {
    detail: "missing or wrong dapr-api-token",
  });
}
