import { pino, type Logger } from "pino";

export type { Logger };

/** JSON logs on stdout, one line per record, with the function's name on each; secrets censored. */
export function createLogger(service: string, level = process.env["LOG_LEVEL"] ?? "info"): Logger {
  return pino({
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Defence in depth: nothing logs headers or configuration, but if it ever does, no secret leaks.
    redact: {
      paths: [
        "headers.authorization",
        'headers["dapr-api-token"]',
        "*.headers.authorization",
        '*.headers["dapr-api-token"]',
      ],
      censor: "[secret]",
    },
  });
}

/** The trace id inside a W3C traceparent (`00-<trace-id>-<span-id>-<flags>`). */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  return traceparent?.split("-")[1];
}
