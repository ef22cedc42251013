/**
 * The few Dapr HTTP APIs the functions use, over fetch.
 * Why not @dapr/dapr 3.18: its client blocks ~30 s waiting for a sidecar before the first call
 * (a cold-start killer for scale-to-zero), its publish resolves `{ error }` without the HTTP status
 * we need to tell "retry later" from "refused", and it has no Jobs API client.
 */
export interface DaprSidecarOptions {
  /** e.g. http://127.0.0.1:3500 (DAPR_HTTP_ENDPOINT). */
  readonly endpoint: string;
  /** Sent as `dapr-api-token` when the sidecar requires one (DAPR_API_TOKEN). */
  readonly apiToken?: string | undefined;
  readonly timeoutMs?: number;
}

export type PublishOutcome =
  { readonly ok: true } | { readonly ok: false; readonly retryable: boolean; readonly reason: string };

export interface PublishRequest {
  readonly pubsub: string;
  readonly topic: string;
  readonly cloudEvent: Record<string, unknown>;
  readonly partitionKey: string;
  readonly traceparent?: string | undefined;
}

/** What a function needs from its sidecar to publish; small so tests can fake it. */
export interface Publisher {
  publish(request: PublishRequest): Promise<PublishOutcome>;
}

export class DaprSidecar implements Publisher {
  private readonly endpoint: string;
  private readonly timeoutMs: number;
  private readonly apiToken: string | undefined;

  constructor(options: DaprSidecarOptions) {
    this.endpoint = options.endpoint.replace(/\/+$/, "");
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.apiToken = options.apiToken;
  }

  static fromEnv(env: NodeJS.ProcessEnv = process.env): DaprSidecar {
    const endpoint = env["DAPR_HTTP_ENDPOINT"] ?? `http://127.0.0.1:${env["DAPR_HTTP_PORT"] ?? "3500"}`;
    return new DaprSidecar({ endpoint, apiToken: env["DAPR_API_TOKEN"] });
  }

  /** Publishes a structured CloudEvent; Dapr answers 204 only once the broker acknowledged it. */
  async publish(request: PublishRequest): Promise<PublishOutcome> {
    const url =
      `${this.endpoint}/v1.0/publish/${encodeURIComponent(request.pubsub)}/${encodeURIComponent(request.topic)}` +
      `?metadata.partitionKey=${encodeURIComponent(request.partitionKey)}`;
    const headers: Record<string, string> = { "content-type": "application/cloudevents+json" };
    if (request.traceparent) headers["traceparent"] = request.traceparent;
    const response = await this.call(url, { method: "POST", headers, body: JSON.stringify(request.cloudEvent) });
    if (!response.ok) return { ok: false, retryable: true, reason: response.reason };
    if (response.status === 204 || response.status === 200) return { ok: true };
    // 400/403/404 mean our configuration is wrong (no such pubsub, topic not allowed): retrying will not help.
    const retryable = response.status >= 500;
    return { ok: false, retryable, reason: `dapr answered ${response.status}: ${response.text}` };
  }

  /** True when the sidecar is up and its components (the broker connection) are initialised. */
  async isReady(): Promise<boolean> {
    const response = await this.call(`${this.endpoint}/v1.0/healthz/outbound`, { method: "GET" });
    return response.ok && response.status === 204;
  }

  private async call(
    url: string,
    init: { method: string; headers?: Record<string, string>; body?: string },
  ): Promise<{ ok: true; status: number; text: string } | { ok: false; reason: string }> {
    const headers = { ...init.headers };
    if (this.apiToken) headers["dapr-api-token"] = this.apiToken;
    try {
      const response = await fetch(url, { ...init, headers, signal: AbortSignal.timeout(this.timeoutMs) });
      return { ok: true, status: response.status, text: await response.text() };
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      return { ok: false, reason: `dapr sidecar unreachable (${cause})` };
    }
  }
}
