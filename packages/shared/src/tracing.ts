/**
 * Spans of the functions, exported as OTLP to a trace collector, so that one trace shows a task
 * event from the POST to its ReminderDue: publish-task-event's span, Dapr's publish, schedule-
 * reminder's span, the job, emit-reminder's span and Dapr's publish of the ReminderDue. Each span
 * takes the caller's W3C trace context explicitly and gives the work its own to pass on (in a
 * header to Dapr, in the job's payload): no context manager, no monkey-patching.
 * The OpenTelemetry SDK is loaded only when tracing is on (an endpoint is set), so a function
 * that does not trace pays nothing for it at start.
 */
import { z } from "zod";
import type { SpanExporter } from "@opentelemetry/sdk-trace";
import { validTraceparent } from "./trace-context.ts";

export type SpanKind = "server" | "consumer";

export interface Tracing {
  /**
   * Runs `work` in a span named `name`, child of `parent` (a traceparent) when given; `work` gets
   * the traceparent to pass on. A thrown error or a 5xx answer marks the span as failed.
   */
  inSpan<T>(
    name: string,
    kind: SpanKind,
    parent: string | undefined,
    work: (traceparent: string | undefined) => Promise<T>,
  ): Promise<T>;
  /** Sends what is still buffered (at shutdown). */
  flush(): Promise<void>;
}

/** No spans: the caller's trace context goes on as it came. */
export const noTracing: Tracing = {
  inSpan: (_name, _kind, parent, work) => work(parent),
  flush: () => Promise.resolve(),
};

export const tracingSettings = {
  OTEL_EXPORTER_OTLP_ENDPOINT: z
    .url({ protocol: /^https?$/, message: "must be an http(s) URL" })
    .optional()
    .describe("the trace collector's OTLP/HTTP endpoint (e.g. http://jaeger-collector:4318); unset: no spans"),
  TRACES_SAMPLE_RATIO: z.coerce
    .number()
    .min(0)
    .max(1)
    .default(0.1)
    .describe(
      "the share of traces started here that are recorded; a trace started upstream keeps the caller's decision",
    ),
};

/** Tracing as the settings ask: spans to the collector, or none. */
export function tracingFor(
  service: string,
  settings: { readonly OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined; readonly TRACES_SAMPLE_RATIO: number },
): Tracing {
  const endpoint = settings.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (endpoint === undefined) return noTracing;
  return lazily(async () => {
    const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-proto");
    const exporter = new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, "")}/v1/traces` });
    return otlpTracing(service, exporter, settings.TRACES_SAMPLE_RATIO);
  });
}

/** Spans through the OpenTelemetry SDK to `exporter`, parent-based sampling at `sampleRatio` for new traces. */
export async function otlpTracing(service: string, exporter: SpanExporter, sampleRatio: number): Promise<Tracing> {
  const [api, core, resources, sdk] = await Promise.all([
    import("@opentelemetry/api"),
    import("@opentelemetry/core"),
    import("@opentelemetry/resources"),
    import("@opentelemetry/sdk-trace"),
  ]);
  const provider = new sdk.TracerProvider({
    resource: resources.resourceFromAttributes({ "service.name": service }),
    sampler: new sdk.ParentBasedSampler({ root: new sdk.TraceIdRatioBasedSampler(sampleRatio) }),
    spanProcessors: [new sdk.BatchSpanProcessor({ exporter, scheduledDelayMillis: 1000 })],
  });
  const tracer = provider.getTracer(service);
  const propagator = new core.W3CTraceContextPropagator();
  const kinds = { server: api.SpanKind.SERVER, consumer: api.SpanKind.CONSUMER };
  return {
    async inSpan(name, kind, parent, work) {
      const parentContext =
        parent === undefined
          ? api.ROOT_CONTEXT
          : propagator.extract(api.ROOT_CONTEXT, { traceparent: parent }, api.defaultTextMapGetter);
      const span = tracer.startSpan(name, { kind: kinds[kind] }, parentContext);
      const carrier: Record<string, string> = {};
      propagator.inject(api.trace.setSpan(api.ROOT_CONTEXT, span), carrier, api.defaultTextMapSetter);
      try {
        const result = await work(validTraceparent(carrier["traceparent"]) ?? parent);
        const status = (result as { statusCode?: unknown } | undefined)?.statusCode;
        if (typeof status === "number") {
          span.setAttribute("http.response.status_code", status);
          if (status >= 500) span.setStatus({ code: api.SpanStatusCode.ERROR });
        }
        return result;
      } catch (error) {
        span.recordException(error instanceof Error ? error : String(error));
        span.setStatus({ code: api.SpanStatusCode.ERROR });
        throw error;
      } finally {
        span.end();
      }
    },
    flush: () => provider.forceFlush(),
  };
}

/** A Tracing whose implementation loads on first use. */
function lazily(load: () => Promise<Tracing>): Tracing {
  let loaded: Promise<Tracing> | undefined;
  const tracing = () => (loaded ??= load());
  return {
    inSpan: async (name, kind, parent, work) => (await tracing()).inSpan(name, kind, parent, work),
    flush: async () => (loaded ? (await loaded).flush() : undefined),
  };
}
