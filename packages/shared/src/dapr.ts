/**
 * The few Dapr HTTP APIs the functions use, over node:http with kept-alive connections.
 * Why not @dapr/dapr, and why not fetch: docs/decisions/dapr-http-client.md.
 */
import { Agent, request as httpRequest, type OutgoingHttpHeaders } from "node:http";
import { ClassifiedError } from "./failures.ts";
import { validTraceparent } from "./trace-context.ts";

export interface DaprSidecarOptions {
  /** e.g. http://127.0.0.1:3500 (DAPR_HTTP_ENDPOINT). */
  readonly endpoint: string;
  /** Sent as `dapr-api-token` when the sidecar requires one (DAPR_API_TOKEN). */
  readonly apiToken?: string | undefined;
  readonly timeoutMs?: number;
}

export type SidecarOutcome =
  { readonly ok: true } | { readonly ok: false; readonly retryable: boolean; readonly reason: string };

export interface PublishRequest {
  readonly pubsub: string;
  readonly topic: string;
  readonly cloudEvent: Record<string, unknown>;
  readonly partitionKey: string;
  readonly traceparent?: string | undefined;
}

export interface RawPublishRequest {
  readonly pubsub: string;
  readonly topic: string;
  readonly bytes: Buffer;
  readonly partitionKey?: string | undefined;
  /** Become Kafka record headers. */
  readonly headers: Readonly<Record<string, string>>;
}

/** Turns a failed outcome into an error that says whether trying again can help. */
export function throwUnlessOk(outcome: SidecarOutcome, what: string): void {
  if (!outcome.ok)
    throw new ClassifiedError(outcome.retryable ? "transient" : "permanent", `${what}: ${outcome.reason}`);
}

/** What a function needs from its sidecar to publish; small so tests can fake it. */
export interface Publisher {
  publish(request: PublishRequest): Promise<SidecarOutcome>;
}

/**
 * A one-shot Dapr job: at `dueTime` the scheduler POSTs `data` to `/job/<name>` of the owning app.
 * Jobs are at-least-once; a trigger the app fails (a 5xx, no answer) is tried again every
 * `retry.intervalMs`, at most `retry.maxRetries` times.
 */
export interface Job {
  readonly dueTime: Date;
  readonly data: Record<string, unknown>;
  readonly retry: { readonly intervalMs: number; readonly maxRetries: number };
}

/** The Jobs API of a sidecar: the jobs belong to that sidecar's app-id, and fire there. */
export interface JobScheduler {
  scheduleJob(name: string, job: Job): Promise<SidecarOutcome>;
  deleteJob(name: string): Promise<SidecarOutcome>;
}

export class DaprSidecar implements Publisher, JobScheduler {
  private readonly endpoint: string;
  private readonly timeoutMs: number;
  private readonly apiToken: string | undefined;
  /** The sidecar is one peer: keep its connections open between calls. */
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 128, maxFreeSockets: 32 });

  constructor(options: DaprSidecarOptions) {
    this.endpoint = options.endpoint.replace(/\/+$/, "");
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.apiToken = options.apiToken;
  }

  /** Publishes a structured CloudEvent; Dapr answers 204 only once the broker acknowledged it. */
  async publish(request: PublishRequest): Promise<SidecarOutcome> {
    const url =
      `${this.endpoint}/v1.0/publish/${encodeURIComponent(request.pubsub)}/${encodeURIComponent(request.topic)}` +
      `?metadata.partitionKey=${encodeURIComponent(request.partitionKey)}`;
    const headers: Record<string, string> = { "content-type": "application/cloudevents+json" };
    if (request.traceparent) headers["traceparent"] = request.traceparent;
    return this.outcome(await this.call(url, { method: "POST", headers, body: JSON.stringify(request.cloudEvent) }));
  }

  /**
   * Publishes bytes exactly as they are (rawPayload), with metadata the Kafka component turns
   * into record headers: how a consumer writes a record it cannot process to a dead-letter topic.
   */
  async publishRaw(request: RawPublishRequest): Promise<SidecarOutcome> {
    const query = new URLSearchParams({ "metadata.rawPayload": "true" });
    if (request.partitionKey !== undefined) query.set("metadata.partitionKey", request.partitionKey);
    for (const [name, value] of Object.entries(request.headers)) query.set(`metadata.${name}`, value);
    const url = `${this.endpoint}/v1.0/publish/${encodeURIComponent(request.pubsub)}/${encodeURIComponent(request.topic)}?${query.toString()}`;
    const headers = { "content-type": "application/octet-stream" };
    return this.outcome(await this.call(url, { method: "POST", headers, body: request.bytes }));
  }

  /**
   * Creates or moves (overwrite) the job `name`. A job whose data carries a `traceparent` is
   * scheduled in that trace too (the sidecar's span of the call), not only fired in it.
   */
  async scheduleJob(name: string, job: Job): Promise<SidecarOutcome> {
    // In seconds: what both a Go duration and a protobuf JSON Duration read ("2s", "0.5s").
    const interval = `${job.retry.intervalMs / 1000}s`;
    const failurePolicy = { constant: { interval, maxRetries: job.retry.maxRetries } };
    const traceparent = validTraceparent(job.data["traceparent"]);
    return this.putJob(
      name,
      { dueTime: job.dueTime.toISOString(), data: job.data, failurePolicy },
      traceparent === undefined ? {} : { traceparent },
    );
  }

  /** Deletes the job `name`; deleting a job that does not exist succeeds. */
  async deleteJob(name: string): Promise<SidecarOutcome> {
    return this.outcome(await this.call(this.jobUrl(name), { method: "DELETE" }));
  }

  /** Creates or replaces a recurring job, first due now. */
  async scheduleRecurringJob(name: string, schedule: string, data: Record<string, unknown>): Promise<SidecarOutcome> {
    return this.putJob(name, { schedule, dueTime: "0s", data });
  }

  private async putJob(
    name: string,
    job: Record<string, unknown>,
    extraHeaders: Record<string, string> = {},
  ): Promise<SidecarOutcome> {
    const body = JSON.stringify({ ...job, overwrite: true });
    const headers = { "content-type": "application/json", ...extraHeaders };
    return this.outcome(await this.call(this.jobUrl(name), { method: "POST", headers, body }));
  }

  private jobUrl(name: string): string {
    return `${this.endpoint}/v1.0/jobs/${encodeURIComponent(name)}`;
  }

  private outcome(response: Awaited<ReturnType<DaprSidecar["call"]>>): SidecarOutcome {
    if (!response.ok) return { ok: false, retryable: true, reason: response.reason };
    if (response.status === 204 || response.status === 200) return { ok: true };
    // 400/403/404 mean our configuration is wrong (no such pubsub, topic not allowed): retrying will not help.
    const retryable = response.status >= 500;
    return { ok: false, retryable, reason: `dapr answered ${response.status}: ${response.text}` };
  }

  private call(
    url: string,
    init: { method: string; headers?: Record<string, string>; body?: string | Buffer },
  ): Promise<{ ok: true; status: number; text: string } | { ok: false; reason: string }> {
    const headers: OutgoingHttpHeaders = { ...init.headers };
    if (this.apiToken) headers["dapr-api-token"] = this.apiToken;
    // A known length lets node write the headers and the body in one go.
    if (init.body !== undefined) headers["content-length"] = Buffer.byteLength(init.body);
    return new Promise((resolve) => {
      const unreachable = (error: NodeJS.ErrnoException) => {
        resolve({ ok: false, reason: `dapr sidecar unreachable (${error.code ?? error.name})` });
      };
      const outgoing = httpRequest(url, { method: init.method, headers, agent: this.agent }, (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          resolve({ ok: true, status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") });
        });
        response.on("error", unreachable);
      });
      outgoing.setTimeout(this.timeoutMs, () =>
        outgoing.destroy(Object.assign(new Error("timeout"), { code: "TimeoutError" })),
      );
      outgoing.on("error", unreachable);
      outgoing.end(init.body);
    });
  }
}
