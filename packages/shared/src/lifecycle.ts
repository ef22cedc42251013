import type { FastifyReply, FastifyRequest } from "fastify";
import type { Context } from "faas-js-runtime";
import { routeDaprJobTriggersToRoot } from "./job-route.ts";
import { parseCloudEventsInTheHandler, serveOurMetricsOnTheRuntimes } from "./library-patches.ts";
import type { Logger } from "./logger.ts";
import { counter } from "./metrics.ts";
import { problem, type FunctionResponse } from "./problem.ts";

export type Handler = (context: Context) => Promise<FunctionResponse>;

/** Every request a function turns away, whatever the function: by HTTP status and by why. */
const refusals = counter("todo_requests_refused_total", "Requests refused, by HTTP status and by why", [
  "status",
  "reason",
]);

/** Counts a refusal and passes the answer on. */
export function refused(answer: FunctionResponse, reason: string): FunctionResponse {
  refusals.inc({ status: String(answer.statusCode), reason });
  return answer;
}

/**
 * One lifecycle for every function. Knative sends SIGTERM and stops routing to the pod; requests
 * already on their way still arrive. So on SIGTERM (faas-js-runtime calls `shutdown`): readiness
 * answers 503 "draining", every new request is refused with 503 + Retry-After (a client, Dapr's
 * pub/sub and Dapr's jobs all retry it elsewhere or later), and the work in flight gets up to
 * `drainMs` to finish, so no publish is cut half-way.
 */
export class Lifecycle {
  private readonly pending = new Set<Promise<unknown>>();
  private draining = false;
  private readonly drainMs: number;

  constructor(drainMs: number) {
    this.drainMs = drainMs;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** The handler, refusing new work while draining and tracking the work it accepts. */
  serve(handler: Handler): Handler {
    return (context) => {
      if (this.draining) {
        return Promise.resolve(refused(problem(503, "shutting down", { retryAfterSeconds: 1 }), "draining"));
      }
      const work = handler(context);
      this.pending.add(work);
      const forget = () => this.pending.delete(work);
      work.then(forget, forget);
      return work;
    };
  }

  /**
   * faas-js-runtime's readiness route: not ready once draining. Not gated on the daprd: with Dapr
   * Shared the daprd waits for the function's cluster-local address before it reports healthy,
   * and Knative creates that address only once the function is ready - each would wait for the
   * other. A call while the daprd is down fails on its own and is retried.
   */
  readonly readiness = async (_request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    await reply.code(this.draining ? 503 : 200).send(this.draining ? "draining" : "OK");
  };

  /** Refuses new work from now on and waits, at most `drainMs`, for the work in flight. */
  async drain(): Promise<void> {
    this.draining = true;
    const deadline = new Promise((resolve) => setTimeout(resolve, this.drainMs).unref());
    await Promise.race([Promise.allSettled([...this.pending]), deadline]);
  }

  /** Work still running. */
  get inFlight(): number {
    return this.pending.size;
  }
}

/** What a function module exports for faas-js-runtime. */
export interface FunctionModule {
  readonly init: () => void;
  readonly handle: Handler;
  readonly readiness: Lifecycle["readiness"];
  readonly shutdown: () => Promise<void>;
}

/**
 * The exports of a function, the same for all three: at start the runtime is adapted
 * (library-patches.ts, and the job route for a function that receives Dapr job triggers), the
 * handler is served through one Lifecycle, and on SIGTERM the work in flight drains before
 * `onShutdown` closes what the function opened.
 */
export function serveFunction(options: {
  readonly log: Logger;
  readonly settings: { readonly SHUTDOWN_DRAIN_MS: number; readonly localDevMode: boolean };
  readonly handler: Handler;
  readonly receivesJobTriggers?: boolean;
  readonly onStart?: () => void;
  readonly onShutdown?: () => Promise<void>;
}): FunctionModule {
  const { log, settings } = options;
  const lifecycle = new Lifecycle(settings.SHUTDOWN_DRAIN_MS);
  return {
    init() {
      parseCloudEventsInTheHandler();
      serveOurMetricsOnTheRuntimes();
      if (options.receivesJobTriggers) routeDaprJobTriggersToRoot();
      if (settings.localDevMode) log.warn("local development mode: calls are not authenticated");
      options.onStart?.();
    },
    handle: lifecycle.serve(options.handler),
    readiness: lifecycle.readiness,
    async shutdown() {
      await lifecycle.drain();
      await options.onShutdown?.();
      log.info({ still_in_flight: lifecycle.inFlight }, "drained, shutting down");
    },
  };
}
