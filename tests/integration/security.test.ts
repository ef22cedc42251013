import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stack, tokenOf, type FunctionName } from "../support/stack.ts";

const FUNCTIONS: FunctionName[] = ["publish-task-event", "schedule-reminder", "emit-reminder"];

describe("tokens between functions and their sidecars", () => {
  it.each(FUNCTIONS)("the Dapr HTTP API of %s's sidecar requires its API token", async (fn) => {
    const metadata = `${stack().functions[fn].dapr}/v1.0/metadata`;
    expect((await fetch(metadata)).status).toBe(401);
    expect((await fetch(metadata, { headers: { "dapr-api-token": "wrong" } })).status).toBe(401);
    expect((await fetch(metadata, { headers: { "dapr-api-token": tokenOf(fn, "dapr") } })).status).toBe(200);
  });

  it.each(["schedule-reminder", "emit-reminder"] as const)("%s answers only calls from its sidecar", async (fn) => {
    const call = (headers: Record<string, string>) =>
      fetch(`${stack().functions[fn].url}/?job=reminder-x`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ task_id: "x", version: 1 }),
      });
    expect((await call({})).status).toBe(401);
    expect((await call({ "dapr-api-token": tokenOf("publish-task-event", "app") })).status).toBe(401);
    expect((await call({ "dapr-api-token": tokenOf(fn, "app") })).status).not.toBe(401);
  });

  it("no token appears in any log", () => {
    const tokens = FUNCTIONS.flatMap((fn) => [tokenOf(fn, "dapr"), tokenOf(fn, "app")]);
    for (const file of readdirSync(stack().logs)) {
      const text = readFileSync(join(stack().logs, file), "utf8");
      for (const token of tokens) expect(text.includes(token), `${file} leaks a token`).toBe(false);
    }
  });
});
