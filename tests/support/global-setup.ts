import { existsSync } from "node:fs";
import { STACK_FILE, stack, type FunctionName } from "./stack.ts";

/** The integration tests need the real stack; say how to get it rather than fail obscurely. */
export default async function checkStackIsUp(): Promise<void> {
  if (!existsSync(STACK_FILE)) throw new Error("the local stack is not up: run `npm run stack:up` first");
  for (const [name, fn] of Object.entries(stack().functions) as [FunctionName, { url: string }][]) {
    const response = await fetch(`${fn.url}/health/readiness`).catch(() => undefined);
    if (response?.status !== 200) {
      throw new Error(`${name} is not ready at ${fn.url}: run \`npm run stack:up\` (logs in ${stack().logs})`);
    }
  }
}
