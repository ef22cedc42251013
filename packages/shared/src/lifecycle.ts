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
 * faas-js-runtime validates CloudEvents before the handler runs and lets the SDK's ValidationError
 * become a 500 (e.g. a binary event without ce-source). Such an error is the client's: giving the
 * runtime's own CloudEvents SDK a 400 status makes Fastify answer 400 with the SDK's message.
 */
export function answerRuntimeValidationErrorsWith400(): void {
  const runtimeRequire = createRequire(createRequire(import.meta.url).resolve("faas-js-runtime"));
  const { ValidationError } = runtimeRequire("cloudevents") as { ValidationError: { prototype: object } };
  Object.defineProperty(ValidationError.prototype, "statusCode", { value: 400, configurable: true });
}
