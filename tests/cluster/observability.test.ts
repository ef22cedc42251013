import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Admin } from "@platformatic/kafka";
import { toStructuredCloudEvent } from "@todo/shared";
import { RUN_ID, binaryEvent, taskPayload } from "../support/fixtures.ts";
import { SECOND, fromNow } from "../support/clock.ts";
import { countCopies } from "../support/reminders.ts";
import { consumedToEnd, produce } from "../../scripts/kafka-topics.ts";
import { measureFootprint, nodeCgroup } from "./footprint.ts";
import {
  FUNCTIONS,
  PodTimeline,
  ROOT,
  allAtZero,
  cluster,
  crashPod,
  kubectl,
  percentile,
  podCount,
  podsOf,
  publish,
  readTopicToEnd,
  sleep,
  throughIngress,
  tool,
  waitForTopic,
} from "./support.ts";

/**
 * What an operator sees of the backbone on the live cluster (npm run cluster:up deploys it:
 * hack/cluster/observability.sh): Prometheus 3 scraping running pods only, Jaeger holding the
 * spans of the functions and their daprds, the consumer lag exporter; and publish-task-event
 * scaling out under a burst. Run on its own, after the backbone's suite:
 *   hack/cluster/test.sh tests/cluster/observability.test.ts
 * Prints what it measured (the figures of the closing note).
 */
const report: Record<string, unknown> = { at: new Date().toISOString(), run: RUN_ID };
/** Knative scales a revision to zero after its stable window (60 s) and grace period (30 s). */
const ZERO_WITHIN_MS = 240_000;
let prometheus = "";
let jaeger = "";

/** The series the dashboard (cluster/observability/dashboard.json) may name: each is checked to exist below. */
const DASHBOARD_SERIES = JSON.parse(
  readFileSync(join(ROOT, "cluster", "observability", "dashboard-series.json"), "utf8"),
) as { series: string[] };

async function clusterIp(namespace: string, service: string): Promise<string> {
  return kubectl("get", "service", service, "-n", namespace, "-o", "jsonpath={.spec.clusterIP}");
}

interface Sample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}
/** An instant query's answer (the vector), from Prometheus' HTTP API. */
async function query(expr: string): Promise<Sample[]> {
  const answer = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await answer.json()) as { status: string; error?: string; data: { result: Sample[] } };
  if (body.status !== "success") throw new Error(`${expr}: ${body.error ?? answer.status}`);
  return body.data.result;
}
/** The metric names Prometheus holds series of, seen in the last `window`. */
async function seriesNames(window = "30m"): Promise<Set<string>> {
  const answer = await fetch(
    `${prometheus}/api/v1/label/__name__/values?start=${(Date.now() - parseWindow(window)) / 1000}`,
  );
  const body = (await answer.json()) as { data: string[] };
  return new Set(body.data);
}
const parseWindow = (window: string) =>
  Number(window.slice(0, -1)) * { s: 1000, m: 60_000, h: 3_600_000 }[window.at(-1)!]!;
const show = (samples: Sample[]) =>
  samples.map((s) => `${JSON.stringify(s.metric)} ${s.value[1]}`).join("\n      ") || "(none)";

interface JaegerSpan {
  readonly spanID: string;
  readonly operationName: string;
  readonly references: readonly { refType: string; spanID: string }[];
  readonly startTime: number;
  readonly duration: number;
  readonly processID: string;
  readonly tags: readonly { key: string; value: unknown }[];
}
interface JaegerTrace {
  readonly spans: readonly JaegerSpan[];
  readonly processes: Record<string, { serviceName: string }>;
}
async function trace(traceId: string): Promise<JaegerTrace | undefined> {
  const answer = await fetch(`${jaeger}/api/traces/${traceId}`);
  if (answer.status === 404) return undefined;
  const body = (await answer.json()) as { data?: JaegerTrace[] };
  return body.data?.[0];
}

beforeAll(async () => {
  prometheus = `http://${await clusterIp("observability", "prometheus")}:9090`;
  jaeger = `http://${await clusterIp("observability", "jaeger-collector")}:16686`;
  report["budget"] = nodeCgroup(cluster().node);
});

afterAll(() => {
  console.log(`\nobservability report:\n${JSON.stringify(report, null, 2)}`);
  // Beside the cluster suite's reports: the figures in the docs come from these files.
  const dir = join(ROOT, "hack", "bench", "results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `observability-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
});

describe("seeing inside the backbone (Prometheus, Jaeger, the lag exporter)", () => {
  const taskId = `${RUN_ID}-traced`;
  const traceId = randomBytes(16).toString("hex");

  it("keeps one trace from the POST to the ReminderDue: publish, delivery, the job, the firing, each daprd's part", async () => {
    // The chat API's own trace context, sampled: the backbone keeps its decision (parent-based).
    const traceparent = `00-${traceId}-${randomBytes(8).toString("hex")}-01`;
    const remindAt = fromNow(40 * SECOND);
    const posted = Date.now();
    const answer = await publish(
      binaryEvent("TaskCreated", `${RUN_ID}-traced-1`, taskPayload(taskId, { reminder_time: remindAt.toISOString() }), {
        "ce-time": new Date().toISOString(),
        traceparent,
      }),
    );
    expect(answer.status).toBe(202);
    const fired = await waitForTopic("reminders", (r) => r.key === taskId, {
      enough: (records) => records.length >= 1,
      timeoutMs: 180_000,
    });
    expect(fired).toHaveLength(1);

    // Spans arrive in batches (the functions' every second, the daprds' every few seconds).
    const wanted = (t: JaegerTrace | undefined) => {
      const operations = t?.spans.map((s) => `${t.processes[s.processID]?.serviceName}: ${s.operationName}`) ?? [];
      return ["publish task event", "apply task event", "fire reminder"].every((name) =>
        operations.some((o) => o.endsWith(`: ${name}`)),
      );
    };
    let found: JaegerTrace | undefined;
    for (const deadline = Date.now() + 90_000; Date.now() < deadline; await sleep(3000)) {
      found = await trace(traceId);
      if (wanted(found) && (found?.spans.length ?? 0) >= 6) break;
    }
    expect(found, `trace ${traceId} in Jaeger`).toBeDefined();
    const spans = [...found!.spans].sort((a, b) => a.startTime - b.startTime);
    const byId = new Map(spans.map((s) => [s.spanID, s]));
    const service = (s: JaegerSpan) => found!.processes[s.processID]?.serviceName ?? "?";
    const parentOf = (s: JaegerSpan) => byId.get(s.references.find((r) => r.refType === "CHILD_OF")?.spanID ?? "");
    const origin = spans[0]!.startTime;
    const rows = spans.map((s) => ({
      atMs: Math.round((s.startTime - origin) / 1000),
      durationMs: Number((s.duration / 1000).toFixed(1)),
      service: service(s),
      operation: s.operationName,
      parent: parentOf(s) ? `${service(parentOf(s)!)}: ${parentOf(s)!.operationName}` : "(the chat API's span)",
    }));
    report["trace"] = {
      traceId,
      reminderAt: remindAt.toISOString(),
      postedAt: new Date(posted).toISOString(),
      spans: rows,
    };
    console.log(
      `trace ${traceId}, span by span (ms from its first span):\n${rows
        .map(
          (r) =>
            `  +${String(r.atMs).padStart(6)} ${String(r.durationMs).padStart(8)} ms  ${r.service}: ${r.operation}   <- ${r.parent}`,
        )
        .join("\n")}`,
    );
    const named = (svc: string, op: string) => spans.find((s) => service(s) === svc && s.operationName === op);
    const post = named("publish-task-event", "publish task event");
    const apply = named("schedule-reminder", "apply task event");
    const fire = named("emit-reminder", "fire reminder");
    expect(post && apply && fire).toBeTruthy();
    // The chain: the POST's span; publish-task-event's daprd publishing under it; schedule-reminder
    // applying the record under that publish (the record's CloudEvent carries the context; its
    // daprd, reading raw payloads, adds no span of its own); emit-reminder's daprd scheduling the
    // job under the apply; the firing under the apply too (the job's data carries the context);
    // emit-reminder's daprd publishing ReminderDue under the firing.
    const ancestors = (s: JaegerSpan) => {
      const chain: JaegerSpan[] = [];
      for (let p = parentOf(s); p; p = parentOf(p)) chain.push(p);
      return chain;
    };
    const dapr = (svc: string, operation: RegExp, under: JaegerSpan) =>
      spans.find((s) => service(s) === svc && operation.test(s.operationName) && parentOf(s) === under);
    const publishTask = dapr("publish-task-event", /publish\/kafka-pubsub\/task-events/, post!);
    const scheduleJob = dapr("emit-reminder", /jobs/, apply!);
    const publishDue = dapr("emit-reminder", /publish\/kafka-pubsub\/reminders/, fire!);
    expect(publishTask, "publish-task-event's daprd: the publish").toBeDefined();
    expect(parentOf(apply!), "schedule-reminder applies under the publish").toBe(publishTask);
    expect(scheduleJob, "emit-reminder's daprd: the job scheduled").toBeDefined();
    expect(ancestors(fire!), "the firing under the apply").toContain(apply);
    expect(publishDue, "emit-reminder's daprd: ReminderDue published").toBeDefined();
  });

  it("answers a query for the series of that flow: accepted, delivered, fired, late by, lag", async () => {
    // The functions' pods may be gone by now (scaled to zero): their last samples, over the window.
    const questions = {
      accepted: `max by (faas_name, type) (max_over_time(todo_events_accepted_total[15m]))`,
      delivered: `max by (faas_name, outcome) (max_over_time(todo_deliveries_total[15m]))`,
      fired: `max by (faas_name) (max_over_time(todo_reminders_fired_total[15m]))`,
      latenessP99Seconds: `histogram_quantile(0.99, sum by (le) (max_over_time(todo_reminder_lateness_seconds_bucket[15m])))`,
      daprIngress: `sum by (app_id, topic, success) (max_over_time(dapr_component_pubsub_ingress_count[15m]))`,
      daprEgress: `sum by (app_id, topic, success) (max_over_time(dapr_component_pubsub_egress_count[15m]))`,
      lag: `kafka_consumergroup_lag{consumergroup="schedule-reminder"}`,
      functionTargets: `count by (job) (up)`,
    };
    // The last scrape of the last pod may still be ahead: a few tries.
    let answers: Record<string, Sample[]> = {};
    for (let attempt = 0; attempt < 10; attempt++) {
      answers = Object.fromEntries(
        await Promise.all(Object.entries(questions).map(async ([name, expr]) => [name, await query(expr)] as const)),
      );
      if (Object.values(answers).every((a) => a.length > 0)) break;
      await sleep(5000);
    }
    report["query"] = Object.fromEntries(
      Object.entries(answers).map(([name, samples]) => [
        name,
        { expr: questions[name as keyof typeof questions], samples },
      ]),
    );
    console.log(
      `Prometheus (${prometheus}):\n${Object.entries(answers)
        .map(([name, samples]) => `  ${name}: ${questions[name as keyof typeof questions]}\n      ${show(samples)}`)
        .join("\n")}`,
    );
    for (const [name, samples] of Object.entries(answers)) expect(samples.length, name).toBeGreaterThan(0);
    expect(answers["lag"]!.map((s) => s.metric["partition"]).sort()).toEqual(
      Array.from({ length: answers["lag"]!.length }, (_, i) => String(i)),
    );
  });

  it("wakes no function while idle 180 s with Prometheus and Jaeger running, and scrapes every daprd meanwhile", async () => {
    await allAtZero(FUNCTIONS, ZERO_WITHIN_MS);
    const timeline = new PodTimeline(FUNCTIONS);
    const seconds = Number(process.env["IDLE_SECONDS"] ?? 180);
    const footprint = await measureFootprint(cluster().node, seconds);
    await timeline.stop();
    const wakes = Object.fromEntries(FUNCTIONS.map((fn) => [fn, timeline.wakes(fn)]));
    // What Prometheus scraped in that window: the daprds (always up), no function pod.
    const scraped = await query(`count by (job) (count_over_time(up[${seconds}s]))`);
    // A pod still terminating when the window began may be scraped for its first seconds.
    const functionTargets = await query(`count(count_over_time(up{job="functions"}[${seconds - 60}s]))`);
    report["idle"] = { seconds: footprint.seconds, wakes, scrapedJobs: scraped.map((s) => s.metric["job"]) };
    report["footprintIdle"] = footprint;
    console.log(`idle ${footprint.seconds} s: wakes ${JSON.stringify(wakes)}; scraped: ${show(scraped)}`);
    expect(Object.values(wakes)).toEqual([0, 0, 0]);
    expect(scraped.map((s) => s.metric["job"])).toEqual(expect.arrayContaining(["daprd", "knative", "kafka-lag"]));
    expect(functionTargets).toEqual([]);
    expect(footprint.node.oomKills).toBe(0);
  });

  it("scales publish-task-event from zero to 3 or more pods under a burst through the ingress, no error (503s sent again), and back to zero", async () => {
    await allAtZero(["publish-task-event"], ZERO_WITHIN_MS);
    const timeline = new PodTimeline(["publish-task-event", "schedule-reminder"]);
    const concurrency = Number(process.env["BURST_CONCURRENCY"] ?? 200);
    const seconds = Number(process.env["BURST_SECONDS"] ?? 60);
    const statuses = new Map<number, number>();
    let retried503 = 0;
    const latencies: number[] = [];
    let peak = 0;
    const until = Date.now() + seconds * 1000;
    const load = Promise.all(
      Array.from({ length: concurrency }, async (_, worker) => {
        for (let i = 0; Date.now() < until; i++) {
          const started = performance.now();
          // As the chat API does: a 503 (its daprd did not confirm the publish in time) is sent
          // again, the same event, after Retry-After; only another answer is final.
          const event = binaryEvent(
            "TaskDeleted",
            `${RUN_ID}-burst-${worker}-${i}`,
            { user_id: "user-1", task_id: `${RUN_ID}-burst-${worker}` },
            { "ce-time": new Date().toISOString() },
          );
          let answer = await publish(event).catch(() => ({ status: 0, headers: new Headers() }));
          while (answer.status === 503 && Date.now() < until + 60_000) {
            retried503++;
            await sleep(Number(answer.headers.get("retry-after") ?? "1") * 1000);
            answer = await publish(event).catch(() => ({ status: 0, headers: new Headers() }));
          }
          latencies.push(performance.now() - started);
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        }
      }),
    );
    const watchPeak = (async () => {
      while (Date.now() < until) {
        peak = Math.max(peak, timeline.current("publish-task-event") ?? 0);
        await sleep(500);
      }
    })();
    const footprint = await measureFootprint(cluster().node, seconds, Promise.all([load, watchPeak]));
    const burstEnded = Date.now();
    const zeroAt = await allAtZero(["publish-task-event"], ZERO_WITHIN_MS + 60_000);
    await timeline.stop();
    const accepted = statuses.get(202) ?? 0;
    report["burst"] = {
      concurrency,
      seconds,
      accepted,
      perSecond: Math.round(accepted / seconds),
      statuses: Object.fromEntries(statuses),
      retried503,
      latencyMs: {
        p50: Math.round(percentile(latencies, 50)),
        p99: Math.round(percentile(latencies, 99)),
        max: Math.round(Math.max(...latencies)),
      },
      peakPods: peak,
      secondsFromBurstEndToZero: Math.round((zeroAt - burstEnded) / 1000),
      pods: timeline.render(),
    };
    report["footprintBurst"] = footprint;
    console.log(
      `burst of ${concurrency} concurrent clients for ${seconds} s: final answers ${JSON.stringify(Object.fromEntries(statuses))}, 503s sent again ${retried503}, peak ${peak} pods\n${timeline.render()}`,
    );
    expect([...statuses.keys()]).toEqual([202]);
    expect(peak).toBeGreaterThanOrEqual(3);
    expect(await podCount("publish-task-event")).toBe(0);
  });

  it("holds the whole cluster with Prometheus, Jaeger and the exporter within the node's 4 GB, and names only series that exist on the dashboard", async () => {
    const footprint = await measureFootprint(cluster().node, 30);
    const observability = JSON.parse(await kubectl("get", "pods", "-n", "observability", "-o", "json")) as {
      items: { metadata: { name: string }; status: { containerStatuses?: { restartCount: number }[] } }[];
    };
    report["footprintWithObservability"] = footprint;
    // Two of the dashboard's series exist only once what they count has happened: a request
    // refused (401 without a token) and a record dead-lettered (not a CloudEvent).
    const unauthenticated = binaryEvent(
      "TaskDeleted",
      `${RUN_ID}-refused`,
      { user_id: "user-1", task_id: `${RUN_ID}-refused` },
      { "ce-time": new Date().toISOString() },
    );
    expect((await throughIngress("publish-task-event", unauthenticated)).status).toBe(401);
    await produce(cluster().kafka, "task-events", [{ key: `${RUN_ID}-poison`, value: "not a CloudEvent" }]);
    let missing: string[] = [];
    for (const deadline = Date.now() + 120_000; Date.now() < deadline; await sleep(10_000)) {
      const names = await seriesNames("2h");
      missing = DASHBOARD_SERIES.series.filter((name) => !names.has(name));
      if (missing.length === 0) break;
    }
    report["dashboardSeries"] = { checked: DASHBOARD_SERIES.series.length, missing };
    console.log(
      `footprint with observability: working set ${footprint.node.workingSetMb} MB of ${footprint.node.memoryLimitMb} MB; ` +
        `restarts in observability: ${observability.items.map((p) => `${p.metadata.name}=${p.status.containerStatuses?.[0]?.restartCount ?? "?"}`).join(", ")}; ` +
        `dashboard series missing: ${missing.join(", ") || "none"}`,
    );
    expect(footprint.node.workingSetMb).toBeLessThan(footprint.node.memoryLimitMb);
    expect(footprint.node.oomKills).toBe(0);
    expect(missing).toEqual([]);
  });
});

/**
 * schedule-reminder's consumers scaled out: task-events with more partitions (Kafka cannot take
 * partitions away: the topic keeps them), its Dapr Shared daprd at 1 and then at 3 replicas
 * (chart value replicas.schedule-reminder), a burst written straight to the topic each time, and
 * one replica killed mid-flow. Deliveries in flight are read from faas-js-runtime's request lines
 * of every schedule-reminder pod (arrival and answer times of each delivery).
 */
describe("schedule-reminder's daprd scaled out over more partitions", () => {
  const partitions = Number(process.env["SCALE_PARTITIONS"] ?? 6);
  const burst = Number(process.env["SCALE_BURST"] ?? 1500);
  const rows: Record<string, unknown>[] = [];
  afterAll(async () => {
    report["scaleOut"] = rows;
    console.table(rows);
    await daprdReplicas(1).catch((error: unknown) => {
      console.log(`could not scale back to 1 replica: ${String(error)}`);
    });
  });

  it("consumes a burst with more deliveries in flight at 3 replicas than at 1, and loses nothing when one replica is killed mid-flow", async () => {
    const admin = new Admin({ clientId: "cluster-test", bootstrapBrokers: [cluster().kafka] });
    try {
      const metadata = await admin.metadata({ topics: ["task-events"] });
      const had = metadata.topics.get("task-events")?.partitionsCount ?? 0;
      if (had < partitions) await admin.createPartitions({ topics: [{ name: "task-events", count: partitions }] });
    } finally {
      await admin.close();
    }
    for (const replicas of [1, 3]) {
      // Restarted, so that the group knows every partition (a running consumer sees new ones only
      // at its next metadata refresh).
      await daprdReplicas(replicas, true);
      await allAtZero(["schedule-reminder"], ZERO_WITHIN_MS);
      const timeline = new PodTimeline(["schedule-reminder"]);
      const tag = `${RUN_ID}-scale${replicas}`;
      const started = Date.now();
      await produce(
        cluster().kafka,
        "task-events",
        Array.from({ length: burst }, (_, i) => deletedRecord(`${tag}-${i}`)),
      );
      const produced = Date.now();
      const consumed = await consumedToEnd(cluster().kafka, "schedule-reminder", "task-events", 600_000);
      const done = Date.now();
      await timeline.stop();
      // Deliveries in flight at schedule-reminder, as Knative's queue-proxies report them to the
      // autoscaler: the concurrency averaged over its 6 s panic window, its highest in the burst
      // (after one more scrape).
      await sleep(20_000);
      const window = `${Math.ceil((Date.now() - started) / 1000)}s`;
      const [inFlight] = await query(
        `max(max_over_time(kn_revision_concurrency_panic{kn_service_name="schedule-reminder"}[${window}]))`,
      );
      rows.push({
        case: `${replicas} daprd replica(s), ${partitions} partitions`,
        records: burst,
        producedInMs: produced - started,
        consumedAll: consumed,
        seconds: Number(((done - started) / 1000).toFixed(1)),
        perSecond: Math.round(burst / ((done - started) / 1000)),
        inFlight6sAverageMax: inFlight ? Number(Number(inFlight.value[1]).toFixed(1)) : null,
        functionPodsMax: timeline.peak("schedule-reminder"),
      });
      expect(consumed).toBe(true);
    }
    expect(rows[1]!["inFlight6sAverageMax"] as number).toBeGreaterThan(3);

    // One of the 3 replicas killed (SIGKILL to its processes) while a burst and reminders flow.
    const tag = `${RUN_ID}-kill`;
    const remindAt = fromNow(150 * SECOND);
    const reminders = Array.from({ length: 30 }, (_, i) => `${tag}-r${i}`);
    const flow = produce(cluster().kafka, "task-events", [
      ...Array.from({ length: burst }, (_, i) => deletedRecord(`${tag}-${i}`)),
      ...reminders.map((taskId) => createdRecord(taskId, remindAt.toISOString())),
    ]);
    await sleep(3000);
    const [victim] = (await podsOf(cluster().namespace, "app.kubernetes.io/name=schedule-reminder-dapr")).map(
      (p) => p.metadata.name,
    );
    const killed = await crashPod(cluster().namespace, victim!);
    await flow;
    const consumed = await consumedToEnd(cluster().kafka, "schedule-reminder", "task-events", 600_000);
    await sleep(Math.max(0, remindAt.getTime() + 20_000 - Date.now()));
    const fired = await readTopicToEnd("reminders", (r) => reminders.includes(r.key ?? ""));
    const dead = await readTopicToEnd("task-events-dlq", (r) => (r.key ?? "").startsWith(tag));
    const once = reminders.filter((taskId) => countCopies(fired.filter((r) => r.key === taskId)).events === 1);
    rows.push({
      case: `kill ${victim} mid-flow`,
      records: burst + reminders.length,
      killedProcesses: killed,
      consumedAll: consumed,
      deadLettered: dead.length,
      remindersDue: reminders.length,
      firedOnce: once.length,
      firedMoreThanOnce: reminders.filter((t) => countCopies(fired.filter((r) => r.key === t)).events > 1).length,
    });
    expect(killed).toBeGreaterThan(0);
    expect(consumed).toBe(true);
    expect(dead).toEqual([]);
    expect(once).toHaveLength(reminders.length);
  });
});

/** Sets schedule-reminder's daprd replicas (the chart's value) and waits for them. */
async function daprdReplicas(replicas: number, restart = false): Promise<void> {
  await tool("helm", [
    "upgrade",
    "dapr-shared",
    join(ROOT, "cluster", "charts", "dapr-shared"),
    "-n",
    cluster().namespace,
    "--reuse-values",
    "--set",
    `replicas.schedule-reminder=${replicas}`,
  ]);
  if (restart) await kubectl("rollout", "restart", "deployment", "schedule-reminder-dapr", "-n", cluster().namespace);
  await kubectl(
    "rollout",
    "status",
    "deployment",
    "schedule-reminder-dapr",
    "-n",
    cluster().namespace,
    "--timeout=300s",
  );
  // The group rebalances onto the replicas (session timeout 6 s).
  await sleep(15_000);
}

const envelope = (taskId: string) => ({
  event_id: `${taskId}-e`,
  schema_version: 1 as const,
  timestamp: new Date().toISOString(),
  correlation_id: "cluster-test",
  producer: "/cluster-test",
  user_id: "user-1",
});
/** A TaskDeleted record as publish-task-event writes it (a structured CloudEvent, keyed by the task). */
const deletedRecord = (taskId: string) => ({
  key: taskId,
  value: JSON.stringify(toStructuredCloudEvent({ ...envelope(taskId), event_type: "TaskDeleted", task_id: taskId })),
});
const createdRecord = (taskId: string, reminderTime: string) => ({
  key: taskId,
  value: JSON.stringify(
    toStructuredCloudEvent({
      ...envelope(taskId),
      event_type: "TaskCreated",
      task: taskPayload(taskId, { reminder_time: reminderTime }).task,
    }),
  ),
});
