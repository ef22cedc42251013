import { InMemorySpanExporter } from "@opentelemetry/sdk-trace";
import { describe, expect, it } from "vitest";
import { noTracing, otlpTracing, tracingFor } from "../src/index.ts";

const PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
const traceIdOf = (traceparent: string | undefined) => traceparent?.split("-")[1];

describe("tracing", () => {
  it("makes each span a child of the caller's trace and hands the work its own context to pass on", async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = await otlpTracing("probe", exporter, 0);
    let passedOn: string | undefined;
    await tracing.inSpan("apply task event", "consumer", PARENT, (traceparent) => {
      passedOn = traceparent;
      return Promise.resolve({ statusCode: 200 });
    });
    await tracing.flush();
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe("apply task event");
    expect(span?.spanContext().traceId).toBe(traceIdOf(PARENT));
    expect(span?.parentSpanContext?.spanId).toBe("b7ad6b7169203331");
    // The work passes on this span's context: same trace, this span as the parent, still sampled.
    expect(passedOn).toBe(`00-${traceIdOf(PARENT)}-${span?.spanContext().spanId}-01`);
  });

  it("marks a span failed when the work throws or answers 5xx", async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = await otlpTracing("probe", exporter, 1);
    await tracing.inSpan("a", "server", undefined, () => Promise.resolve({ statusCode: 503 }));
    await expect(tracing.inSpan("b", "server", undefined, () => Promise.reject(new Error("down")))).rejects.toThrow();
    await tracing.flush();
    expect(exporter.getFinishedSpans().map((s) => [s.name, s.status.code])).toEqual([
      ["a", 2],
      ["b", 2],
    ]);
  });

  it("records a new trace at the sample ratio, and none at 0", async () => {
    const exporter = new InMemorySpanExporter();
    const never = await otlpTracing("probe", exporter, 0);
    await never.inSpan("root", "server", undefined, () => Promise.resolve(undefined));
    await never.flush();
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it("is off without an endpoint: the caller's context goes on as it came", async () => {
    const tracing = tracingFor("probe", { TRACES_SAMPLE_RATIO: 1 });
    expect(tracing).toBe(noTracing);
    expect(await tracing.inSpan("x", "server", PARENT, (traceparent) => Promise.resolve(traceparent))).toBe(PARENT);
  });
});
