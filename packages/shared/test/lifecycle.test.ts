import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { InFlight, routeDaprJobTriggersToRoot } from "../src/index.ts";

describe("routeDaprJobTriggersToRoot", () => {
  it("turns POST /job/<name> into /?job=<name> before the server's handler sees it", async () => {
    routeDaprJobTriggersToRoot();
    const seen: string[] = [];
    const server = createServer((request, response) => {
      seen.push(`${request.method ?? ""} ${request.url ?? ""}`);
      response.end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await fetch(`${base}/job/reminder-t1`, { method: "POST", body: "{}" });
    await fetch(`${base}/job/reminder-t1`);
    await fetch(`${base}/other`, { method: "POST" });
    server.close();
    expect(seen).toEqual(["POST /?job=reminder-t1", "GET /job/reminder-t1", "POST /other"]);
  });
});

describe("InFlight", () => {
  it("waits for running work when draining and then refuses new work", async () => {
    const inFlight = new InFlight();
    let finished = false;
    void inFlight.track(
      new Promise((resolve) =>
        setTimeout(() => {
          finished = true;
          resolve(undefined);
        }, 50),
      ),
    );
    await inFlight.drain(5_000);
    expect(finished).toBe(true);
    expect(inFlight.draining).toBe(true);
  });

  it("stops waiting at the deadline", async () => {
    const inFlight = new InFlight();
    void inFlight.track(new Promise(() => undefined));
    const started = Date.now();
    await inFlight.drain(50);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
