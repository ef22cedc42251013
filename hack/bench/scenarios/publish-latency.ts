/**
 * Publish latency, one request at a time, four paths interleaved so that they meet the same
 * machine: through publish-task-event, the same CloudEvent straight to daprd, the same through the
 * floor (a bare node:http forwarder to daprd: the least any function layer adds), and a direct
 * Kafka producer (acks=all). The goal compares what our layer adds over straight-to-daprd with
 * what the floor adds.
 */
import { Producer } from "@platformatic/kafka";
import { toStructuredCloudEvent } from "@todo/shared";
import { stack } from "../../../tests/support/stack.ts";
import { BOUNDS, GOALS } from "../goals.ts";
import { RUN, benchPort, now, type Run } from "../lib/context.ts";
import { deleted, deletedRequest, toDaprPublish, toFunction } from "../lib/http.ts";
import { startForwarder, stop } from "../lib/runtimes.ts";

export async function publishLatency({ report }: Run, events: number): Promise<void> {
  const dapr = stack().functions["publish-task-event"].dapr;
  const floorPort = benchPort(60);
  const forwarder = await startForwarder(floorPort);
  const floorUrl = `http://127.0.0.1:${floorPort}`;
  const producer = new Producer({ clientId: "bench", bootstrapBrokers: [stack().kafka], acks: -1 });
  await producer.send({ messages: [{ topic: "task-updates", key: Buffer.from("warm"), value: Buffer.from("{}") }] });
  const paths: Record<string, { samples: number[]; call: (i: number, taskId: string) => Promise<boolean> }> = {
    function: { samples: [], call: async (i, t) => (await toFunction(deletedRequest(`${RUN}-pub-${i}`, t))) === 202 },
    dapr: { samples: [], call: async (i, t) => (await toDaprPublish(dapr, `${RUN}-dapr-${i}`, t)) === 204 },
    floor: { samples: [], call: async (i, t) => (await toDaprPublish(floorUrl, `${RUN}-fwd-${i}`, t)) === 204 },
    kafka: {
      samples: [],
      call: async (i, t) => {
        const value = Buffer.from(JSON.stringify(toStructuredCloudEvent(deleted(`${RUN}-direct-${i}`, t))));
        await producer.send({ messages: [{ topic: "task-events", key: Buffer.from(t), value }] });
        return true;
      },
    },
  };
  for (let i = 0; i < events; i++) {
    for (const [name, path] of Object.entries(paths)) {
      const started = now();
      if (!(await path.call(i, `bench-${i % 50}`))) throw new Error(`publish through ${name} failed`);
      path.samples.push(now() - started);
    }
  }
  await producer.close();
  await stop(forwarder);
  const fn = report.sample("publish: POST to publish-task-event -> Dapr confirmed", paths["function"]!.samples, "ms", {
    p99: BOUNDS.publishP99Ms,
    label: `p99 <= ${BOUNDS.publishP99Ms} ms`,
  });
  const daprOnly = report.sample(
    "baseline: the same CloudEvent POSTed straight to daprd",
    paths["dapr"]!.samples,
    "ms",
  );
  const floor = report.sample(
    "floor: the same, through the bare node:http forwarder to daprd",
    paths["floor"]!.samples,
    "ms",
  );
  const kafka = report.sample(
    "baseline: a direct Kafka producer (@platformatic/kafka, acks=all)",
    paths["kafka"]!.samples,
    "ms",
  );
  report.goal(
    GOALS.functionLayer,
    { label: "publish-task-event p50 - daprd p50", value: fn.p50 - daprOnly.p50, unit: "ms" },
    { label: "floor p50 - daprd p50", value: floor.p50 - daprOnly.p50, unit: "ms" },
  );
  report.value("Dapr + function vs a direct Kafka producer (p50), reference", fn.p50 / kafka.p50, "x", { n: events });
  report.value("Dapr + the floor vs a direct Kafka producer (p50), reference", floor.p50 / kafka.p50, "x", {
    n: events,
  });
  report.value("Dapr alone vs a direct Kafka producer (p50), reference", daprOnly.p50 / kafka.p50, "x", { n: events });
}
