import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { STACK_FILE, sleep, stack, type FunctionName } from "./stack.ts";

const READY_WITHIN_MS = 30_000;
const ROOT = join(import.meta.dirname, "..", "..");

/** The first 16 hex digits of the bundle's sha256, as hack/stack.sh records it at start. */
export const bundleHash = (fn: FunctionName) =>
  createHash("sha256")
    .update(readFileSync(join(ROOT, "functions", fn, "build", "index.js")))
    .digest("hex")
    .slice(0, 16);

/**
 * The integration tests need the real stack, running the code as built now: say how to get it
 * rather than fail obscurely, and refuse a function still running an older bundle.
 * Readiness is polled: right after a start, faas-js-runtime's default readiness check answers 503
 * while the event loop is busy (its overload protection), which is not a failure.
 */
export default async function checkStackIsUp(): Promise<void> {
  if (!existsSync(STACK_FILE)) throw new Error(`no local stack at ${STACK_FILE}: run \`npm run stack:up\` first`);
  const deadline = Date.now() + READY_WITHIN_MS;
  for (const [name, fn] of Object.entries(stack().functions) as [FunctionName, { url: string }][]) {
    const running = readFileSync(join(stack().run, `${name}.bundle`), "utf8").trim();
    if (running !== bundleHash(name)) {
      throw new Error(`${name} runs an older bundle than functions/${name}/build: run \`npm run stack:up\` again`);
    }
    while ((await fetch(`${fn.url}/health/readiness`).catch(() => undefined))?.status !== 200) {
      if (Date.now() > deadline) {
        throw new Error(`${name} is not ready at ${fn.url}: run \`npm run stack:up\` (logs in ${stack().logs})`);
      }
      await sleep(250);
    }
  }
}
