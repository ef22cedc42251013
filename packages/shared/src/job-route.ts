import { subscribe } from "node:diagnostics_channel";
import type { IncomingMessage } from "node:http";

/**
 * A Dapr job fires as `POST /job/<name>` on the app that owns it, but faas-js-runtime routes only
 * `/`, and Dapr counts the 404 as delivered (the trigger is lost). Node announces each request on
 * the public `http.server.request.start` diagnostics channel before any router sees it: there we
 * turn `/job/<name>` into `/?job=<name>`, so the handler gets the trigger with the job's name.
 */
export function routeDaprJobTriggersToRoot(): void {
  if (installed) return;
  installed = true;
  subscribe("http.server.request.start", (message) => {
    const request = (message as { request: IncomingMessage }).request;
    const match = request.method === "POST" ? /^\/job\/([^?]+)/.exec(request.url ?? "") : null;
    if (match?.[1] !== undefined) request.url = `/?job=${match[1]}`;
  });
}
let installed = false;

/** The job a request is the trigger of, if it is one (after routeDaprJobTriggersToRoot). */
export function jobNameOf(query: unknown): string | undefined {
  const job = (query as { job?: unknown } | undefined)?.job;
  return typeof job === "string" ? job : undefined;
}
