/**
 * The real faas-js-runtime (the version the functions pin), started in this process with a function
 * served the way ours are: if the runtime or its copies of the CloudEvents SDK and prom-client
 * change shape, the patches in library-patches.ts stop working and this fails.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { counter, jobNameOf, serveFunction } from "../src/index.ts";
import { silentLog } from "../../../tests/support/fakes.ts";

const { start } = createRequire(import.meta.url)("faas-js-runtime") as {
  start: (func: object, options: { port: number; logLevel: string }) => Promise<Server>;
};
const calls = counter("todo_library_patch_probe_total", "Calls the probe function answered");
let server: Server;
let base: string;

beforeAll(async () => {
  const module = serveFunction({
    log: silentLog,
    settings: { SHUTDOWN_DRAIN_MS: 100, localDevMode: false },
    receivesJobTriggers: true,
    handler: (context) => {
      calls.inc();
      return Promise.resolve({
        statusCode: 200,
        headers: { "content-type": "application/json" },
        body: { ceId: context.headers["ce-id"], body: context.body as unknown, job: jobNameOf(context.query) },
      });
    },
  });
  server = await start(module, { port: 0, logLevel: "silent" });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => server.close());

describe("faas-js-runtime with our patches", () => {
  it("hands the handler a CloudEvent the runtime's own SDK would refuse with a 500 (no ce-source)", async () => {
    const answer = await fetch(`${base}/`, {
      method: "POST",
      headers: { "ce-id": "x1", "ce-specversion": "1.0", "ce-type": "t", "content-type": "application/json" },
      body: '{"a":1}',
    });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ ceId: "x1", body: { a: 1 } });
  });

  it("serves our metrics on the runtime's /metrics, with its labels", async () => {
    await fetch(`${base}/`, { method: "POST", body: "{}", headers: { "content-type": "application/json" } });
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/^todo_library_patch_probe_total\{faas_name="[^"]+".*\} [1-9]/m);
    expect(text).toMatch(/^faas_invocations/m);
  });

  it("routes a Dapr job trigger (POST /job/<name>) to the handler with the job's name", async () => {
    const answer = await fetch(`${base}/job/reminder-t1`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"task_id":"t1","version":1}',
    });
    expect(await answer.json()).toMatchObject({ job: "reminder-t1", body: { task_id: "t1" } });
  });

  it("answers readiness from our lifecycle", async () => {
    const answer = await fetch(`${base}/health/readiness`);
    expect([answer.status, await answer.text()]).toEqual([200, "OK"]);
  });
});
