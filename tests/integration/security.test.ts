import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { post, stack, tokenOf, type FunctionName } from "../support/stack.ts";
import { binaryEvent } from "../support/fixtures.ts";

const FUNCTIONS: FunctionName[] = ["publish-task-event", "schedule-reminder", "emit-reminder"];
const ROOT = join(import.meta.dirname, "..", "..");

const daprCall = (fn: FunctionName, path: string, token?: string, init: RequestInit = {}) =>
  fetch(`${stack().functions[fn].dapr}${path}`, {
    ...init,
    headers: { "content-type": "application/json", ...(token ? { "dapr-api-token": token } : {}) },
  });

describe("each daprd opens only what its function needs (Dapr API allow list, topic scopes)", () => {
  it.each(FUNCTIONS)("%s's daprd requires its API token", async (fn) => {
    const publish = `/v1.0/publish/kafka-pubsub/${fn === "emit-reminder" ? "reminders" : "task-events"}`;
    expect((await daprCall(fn, publish, undefined, { method: "POST", body: "{}" })).status).toBe(401);
    expect((await daprCall(fn, publish, "wrong-token-of-some-length", { method: "POST", body: "{}" })).status).toBe(
      401,
    );
  });

  it.each(FUNCTIONS)("%s's daprd refuses every API outside its allow list, even with the right token", async (fn) => {
    for (const path of ["/v1.0/metadata", "/v1.0/state/any/key", "/v1.0/secrets/any/key", "/v1.0/invoke/x/method/y"]) {
      expect((await daprCall(fn, path, tokenOf(fn, "dapr"))).status, path).toBe(404);
    }
  });

  it("the token schedule-reminder holds for emit-reminder's daprd opens jobs and publishing to reminders only", async () => {
    const token = tokenOf("emit-reminder", "dapr");
    const toTaskEvents = await daprCall("emit-reminder", "/v1.0/publish/kafka-pubsub/task-events", token, {
      method: "POST",
      body: "{}",
    });
    expect(toTaskEvents.status).toBe(403);
    expect((await daprCall("emit-reminder", "/v1.0/metadata", token)).status).toBe(404);
    expect((await daprCall("emit-reminder", "/v1.0/jobs/no-such-job", token)).status).not.toBe(404);
  });

  it("publish-task-event's daprd may publish to task-events and task-updates, not to reminders", async () => {
    const answer = await daprCall(
      "publish-task-event",
      "/v1.0/publish/kafka-pubsub/reminders",
      tokenOf("publish-task-event", "dapr"),
      {
        method: "POST",
        body: "{}",
      },
    );
    expect(answer.status).toBe(403);
  });
});

describe("the functions check who calls them", () => {
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

  it("publish-task-event takes events only from clients with a bearer token", async () => {
    const event = binaryEvent("TaskDeleted", `sec-${Date.now()}`, { user_id: "u", task_id: "t" });
    const refused = await post("publish-task-event", event, { authenticated: false });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toBe('Bearer realm="publish-task-event"');
    expect((await post("publish-task-event", event)).status).toBe(202);
  });
});

/** Starts a function's bundle with an environment of our making and reports how it ended. */
function startFunction(fn: FunctionName, env: Record<string, string>, port: number) {
  return new Promise<{ code: number | null; output: string; listened: boolean }>((resolve) => {
    const child = spawn(join(ROOT, "node_modules", ".bin", "faas-js-runtime"), ["./build/index.js"], {
      cwd: join(ROOT, "functions", fn),
      env: { PATH: process.env["PATH"], FUNC_PORT: String(port), ...env },
    });
    let output = "";
    let listened = false;
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const probe = setInterval(() => {
      void fetch(`http://127.0.0.1:${port}/health/liveness`).then(
        () => {
          clearInterval(probe);
          listened = true;
          child.kill("SIGTERM"); // its output is complete once it has exited: logs are buffered
        },
        () => undefined,
      );
    }, 200);
    child.on("close", (code) => {
      clearInterval(probe);
      resolve({ code: listened ? null : code, output, listened });
    });
  });
}

describe("configuration fails closed", () => {
  it.each(FUNCTIONS)("%s refuses to start without its secrets, naming each missing one", async (fn) => {
    const result = await startFunction(fn, {}, 18990 + FUNCTIONS.indexOf(fn));
    expect(result.listened).toBe(false);
    expect(result.code).toBe(78);
    expect(result.output).toContain("refusing to start");
    expect(result.output).toMatch(/DAPR_API_TOKEN: required/);
  });

  it("refuses a malformed setting (a short token, a URL that is none) without printing its value", async () => {
    const result = await startFunction(
      "publish-task-event",
      { DAPR_HTTP_ENDPOINT: "not a url", DAPR_API_TOKEN: "short", PUBLISH_API_TOKENS: "also-short" },
      18994,
    );
    expect(result.code).toBe(78);
    expect(result.output).toMatch(/DAPR_HTTP_ENDPOINT: must be an http\(s\) URL/);
    expect(result.output).toMatch(/DAPR_API_TOKEN: must be a secret of at least 16 characters/);
    expect(result.output).not.toContain("also-short");
  });

  it("refuses settings that contradict: reminder jobs woken further ahead than a trigger may be held", async () => {
    const result = await startFunction(
      "emit-reminder",
      { TODO_INSECURE_LOCAL_DEV: "true", REMINDER_WAKE_AHEAD_MS: "45000", MAX_WAIT_AHEAD_MS: "30000" },
      18996,
    );
    expect(result.code).toBe(78);
    expect(result.output).toMatch(
      /REMINDER_WAKE_AHEAD_MS: jobs due 45000 ms ahead, but an early trigger is held at most MAX_WAIT_AHEAD_MS = 30000 ms/,
    );
  });

  it("starts without secrets only in the explicit local-development mode, and says so", async () => {
    const result = await startFunction("publish-task-event", { TODO_INSECURE_LOCAL_DEV: "true" }, 18995);
    expect(result.listened).toBe(true);
    expect(result.output).toContain("local development mode");
  });
});

describe("no secret where others can read it", () => {
  const tokens = () =>
    FUNCTIONS.flatMap((fn) => [tokenOf(fn, "dapr"), tokenOf(fn, "app")]).concat(
      tokenOf("publish-task-event", "clients"),
    );

  it("no token appears in any log", () => {
    for (const file of readdirSync(stack().logs)) {
      const text = readFileSync(join(stack().logs, file), "utf8");
      for (const token of tokens()) expect(text.includes(token), `${file} leaks a token`).toBe(false);
    }
  });

  it("no token appears on any process's command line (what `ps` shows everyone)", () => {
    const secrets = tokens();
    for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
      let commandLine: string;
      try {
        commandLine = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      } catch {
        continue; // gone meanwhile
      }
      for (const token of secrets) expect(commandLine.includes(token), `process ${pid}: ${commandLine}`).toBe(false);
    }
  });
});
