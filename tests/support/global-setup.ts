import { existsSync } from "node:fs";
import { STACK_FILE, sleep, stack, type FunctionName } from "./stack.ts";

const READY_WITHIN_MS = 30_000;

/**
 * The integration tests need the real stack; say how to get it rather than fail obscurely.
 * Readiness is polled: right after a start, faas-js-runtime's default readiness check answers 503
 * while the event loop is busy (its overload protection), which is not a failure.
 */
export default async function checkStackIsUp(): Promise<void> {
  if (!existsSync(STACK_FILE)) throw new Error("the local stack is not up: run `npm run stack:up` first");
  const deadline = Date.now() + READY_WITHIN_MS;
  for (const [name, fn] of Object.entries(stack().functions) as [FunctionName, { url: string }][]) {
    while ((await fetch(`${fn.url}/health/readiness`).catch(() => undefined))?.status !== 200) {
      if (Date.now() > deadline) {
        throw new Error(`${name} is not ready at ${fn.url}: run \`npm run stack:up\` (logs in ${stack().logs})`);
      }
      await sleep(250);
    }
  }
}
