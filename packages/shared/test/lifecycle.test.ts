import type { Context } from "faas-js-runtime";
import { describe, expect, it } from "vitest";
import { Lifecycle, type FunctionResponse } from "../src/index.ts";
import { metricValue } from "../../../tests/support/metrics.ts";

const ok: FunctionResponse = { statusCode: 200, headers: {}, body: {} };
const context = {} as Context;

/** A readiness reply that records what was answered. */
function reply() {
  const answered: { code?: number; body?: string } = {};
  const fake = {
    code(code: number) {
      answered.code = code;
      return fake;
    },
    send(body: string) {
      answered.body = body;
      return Promise.resolve(fake);
    },
  };
  return { fake: fake as never, answered };
}

describe("Lifecycle", () => {
  it("serves while running, and is ready", async () => {
    const lifecycle = new Lifecycle(1000);
    expect(await lifecycle.serve(() => Promise.resolve(ok))(context)).toBe(ok);
    const { fake, answered } = reply();
    await lifecycle.readiness({} as never, fake);
    expect(answered).toEqual({ code: 200, body: "OK" });
  });

  it("on drain: waits for the work in flight, refuses new work with 503 + Retry-After, and says so in readiness", async () => {
    const lifecycle = new Lifecycle(5_000);
    let finish: (answer: FunctionResponse) => void = () => undefined;
    const running = lifecycle.serve(() => new Promise<FunctionResponse>((resolve) => (finish = resolve)))(context);
    let drained = false;
    const draining = lifecycle.drain().then(() => (drained = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(drained).toBe(false);
    expect(lifecycle.inFlight).toBe(1);

    const before = await metricValue("todo_requests_refused_total", { reason: "draining" });
    const refused = await lifecycle.serve(() => Promise.resolve(ok))(context);
    expect(refused).toMatchObject({ statusCode: 503, headers: { "retry-after": "1" } });
    expect(await metricValue("todo_requests_refused_total", { reason: "draining" })).toBe(before + 1);
    const { fake, answered } = reply();
    await lifecycle.readiness({} as never, fake);
    expect(answered).toEqual({ code: 503, body: "draining" });

    finish(ok);
    expect(await running).toBe(ok);
    await draining;
    expect(drained).toBe(true);
  });

  it("stops waiting at the deadline", async () => {
    const lifecycle = new Lifecycle(50);
    void lifecycle.serve(() => new Promise<FunctionResponse>(() => undefined))(context);
    const started = Date.now();
    await lifecycle.drain();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(lifecycle.inFlight).toBe(1);
  });
});
