import { connect } from "node:net";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CLOUDEVENT_TYPE } from "@todo/shared";
import { RUN_ID, taskPayload } from "../support/fixtures.ts";
import { clientAuthorization, cloudEventId, readTopicToEnd, stack, type FunctionName } from "../support/stack.ts";

/**
 * Property-based: any request a client can send - any method, path, content type (the
 * CloudEvents batch mode included), encoding, set of CloudEvent headers, body - gets a 4xx or a
 * success from the functions, never a 5xx.
 */
let sequence = 0;
const nextId = () => `${RUN_ID}-shape-${++sequence}`;

interface RawRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/**
 * Sends the request over a raw socket and reads the status line of whatever comes back: a server
 * may answer (413, 415) and close before the body is written, which an HTTP client library
 * reports as a broken pipe instead of the answer.
 */
function send(fn: FunctionName, request: RawRequest): Promise<{ status: number; text: string }> {
  const url = new URL(stack().functions[fn].url);
  const head = [
    `${request.method} ${request.path} HTTP/1.1`,
    `host: ${url.host}`,
    "connection: close",
    `content-length: ${request.body.length}`,
    ...Object.entries(request.headers).map(([name, value]) => `${name}: ${value}`),
  ].join("\r\n");
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", () => undefined); // a write cut short by an early answer: the answer counts
    socket.on("close", () => {
      const text = Buffer.concat(chunks).toString("latin1");
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (status) resolve({ status: Number(status[1]), text: text.slice(0, 500) });
      else reject(new Error(`no HTTP answer to ${request.method} ${request.path}: ${JSON.stringify(text)}`));
    });
    socket.write(Buffer.concat([Buffer.from(`${head}\r\n\r\n`, "latin1"), request.body]));
  });
}

const structured = (id: string) => ({
  specversion: "1.0",
  id,
  source: "/todo/chat-api",
  type: CLOUDEVENT_TYPE.TaskDeleted,
  time: new Date().toISOString(),
  data: { user_id: "u", task_id: `${RUN_ID}-shape-task` },
});

const contentType = fc.constantFrom(
  undefined,
  "application/json",
  "application/json; charset=utf-8",
  "application/json; charset=latin1",
  "APPLICATION/JSON",
  "application/cloudevents+json",
  "application/cloudevents+json; charset=utf-8",
  "application/cloudevents-batch+json",
  "application/cloudevents+xml",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=xyz",
  "application/octet-stream",
  "not a media type",
  "",
);

const body = fc.oneof(
  fc.constant(Buffer.alloc(0)),
  fc.string().map((text) => Buffer.from(text)),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
  fc.json().map((json) => Buffer.from(json)),
  fc.constant(null).map(() => Buffer.from(JSON.stringify(structured(nextId())))),
  fc.constant(null).map(() => Buffer.from(JSON.stringify([structured(nextId()), structured(nextId())]))),
  fc.constant(null).map(() => Buffer.from(JSON.stringify(taskPayload(`${RUN_ID}-shape-task`)))),
  fc.constant(null).map(() => Buffer.from("a=b&c[d]=e")),
);

/** Header values an HTTP client can send (no control characters). */
const headerText = fc.string({ maxLength: 40 }).filter((text) => /^[\x20-\x7e]*$/.test(text));

const cloudEventHeaders = fc.record(
  {
    "ce-specversion": fc.oneof(fc.constant("1.0"), headerText),
    "ce-id": fc.oneof(fc.constant(null).map(nextId), headerText),
    "ce-source": fc.oneof(fc.constant("/todo/chat-api"), headerText),
    "ce-type": fc.oneof(fc.constantFrom(...Object.values(CLOUDEVENT_TYPE)), headerText),
    "ce-time": fc.oneof(
      fc.constant(null).map(() => new Date().toISOString()),
      headerText,
    ),
    "ce-subject": headerText,
    "ce-datacontenttype": fc.constantFrom("application/json", "text/plain", "application/xml"),
    "ce-dataschema": headerText,
    "ce-correlationid": headerText,
    traceparent: headerText,
    "content-encoding": fc.constantFrom("gzip", "br", "identity", "chunked"),
  },
  { requiredKeys: [] },
);

const shape = fc
  .record({
    method: fc.oneof(
      { arbitrary: fc.constant("POST"), weight: 6 },
      { arbitrary: fc.constantFrom("GET", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"), weight: 1 },
    ),
    path: fc.oneof(
      { arbitrary: fc.constant("/"), weight: 6 },
      {
        arbitrary: fc.constantFrom("/?a=b", "/?job=x", "/job/reminder-x", "/other", "//", "/?a[=]&&", "/%zz"),
        weight: 1,
      },
    ),
    contentType,
    ceHeaders: cloudEventHeaders,
    body,
  })
  .map(({ method, path, contentType: type, ceHeaders, body: bytes }): RawRequest => {
    const headers: Record<string, string> = { ...ceHeaders };
    if (type !== undefined) headers["content-type"] = type;
    return { method, path, headers, body: method === "GET" || method === "HEAD" ? Buffer.alloc(0) : bytes };
  });

describe("every request shape gets a 4xx or a success, never a 5xx", () => {
  it("publish-task-event, authenticated (300 generated requests)", async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(shape, async (request) => {
        const answer = await send("publish-task-event", {
          ...request,
          headers: { ...clientAuthorization(), ...request.headers },
        });
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        expect(
          answer.status,
          `${request.method} ${request.path} ${JSON.stringify(request.headers)}: ${answer.text}`,
        ).toBeLessThan(500);
        expect(answer.status).toBeGreaterThanOrEqual(200);
      }),
      { numRuns: 300 },
    );
    console.log("publish-task-event answers by status:", Object.fromEntries(statuses));
  });

  it.each(["publish-task-event", "schedule-reminder", "emit-reminder"] as const)(
    "%s, unauthenticated (100 generated requests): never a 5xx, and every POST to / is refused",
    async (fn) => {
      await fc.assert(
        fc.asyncProperty(shape, async (request) => {
          const answer = await send(fn, request);
          expect(answer.status, answer.text).toBeLessThan(500);
          expect(answer.status).toBeGreaterThanOrEqual(200);
          if (request.method === "POST" && request.path === "/" && answer.status < 300) {
            throw new Error(`${fn} accepted an unauthenticated POST: ${answer.status} ${answer.text}`);
          }
        }),
        { numRuns: 100 },
      );
    },
  );

  it("accepted only what was a valid event, and published exactly that", async () => {
    const published = await readTopicToEnd("task-events", (record) =>
      cloudEventId(record).startsWith(`${RUN_ID}-shape-`),
    );
    for (const record of published) expect(record.value["data"]).toMatchObject({ task_id: `${RUN_ID}-shape-task` });
  });
});
