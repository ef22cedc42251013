/**
 * CPU per request of publish-task-event beside the stock faas-js-runtime with an empty handler
 * (the goal's reference: what any CloudEvents function on this runtime costs) and node:http alone
 * with the same empty handler (an alternative to the runtime, not used). Each gets the very same
 * requests (a binary CloudEvent TaskDeleted with the client's bearer token) at the same open-loop
 * rate, in turn, twice; the CPU is the server process's own. publish-task-event's includes its
 * call to daprd (the client side of the publish), not daprd's. The stock runtime parses each
 * CloudEvent with its SDK before the empty handler runs (ours is told not to, and parses it once
 * itself), so it is also measured with plain JSON, which it does not parse: a reference row.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { stack } from "../../../tests/support/stack.ts";
import { GOALS } from "../goals.ts";
import { ROOT, RUN, benchPort, type Run } from "../lib/context.ts";
import { deleted, deletedRequest, send, toFunction } from "../lib/http.ts";
import { openLoop } from "../lib/open-loop.ts";
import { cpuMsBetween, cpuTicksByPiece, pieces } from "../lib/processes.ts";
import { round } from "../lib/report.ts";
import { functionEnv, startRuntime, stockFunctionDir, stop, track, untilLive } from "../lib/runtimes.ts";

interface Server {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
  readonly accepted: number;
  /** The request: the CloudEvent publish-task-event takes, or plain JSON (a runtime that parses no CloudEvent). */
  readonly plain?: boolean;
  cpuMs: number;
  requests: number;
}

export async function cpuPerRequest({ report }: Run, rate: number, seconds: number, rounds = 2): Promise<void> {
  const stockPort = benchPort(50);
  const nodePort = benchPort(51);
  const children: ChildProcess[] = [
    startRuntime(functionEnv("stock", stockPort), stockFunctionDir(false)),
    track(
      spawn(process.execPath, [join(ROOT, "hack", "bench", "node-http-server.mjs")], {
        env: functionEnv("stock", nodePort),
        stdio: "ignore",
      }),
    ),
  ];
  await untilLive(stockPort);
  await untilLive(nodePort);
  const server = (name: string, url: string, pid: number, accepted: number, plain = false): Server => ({
    name,
    url,
    pid,
    accepted,
    plain,
    cpuMs: 0,
    requests: 0,
  });
  const publishPid = pieces(stack().run, ["publish-task-event"]).get("publish-task-event")!;
  const stock = `http://127.0.0.1:${stockPort}`;
  const servers: Server[] = [
    server("publish-task-event", stack().functions["publish-task-event"].url, publishPid, 202),
    server("stock faas-js-runtime, empty handler, the same CloudEvent", stock, children[0]!.pid!, 200),
    server("stock faas-js-runtime, empty handler, plain JSON (reference)", stock, children[0]!.pid!, 200, true),
    server(
      "node:http alone, empty handler (alternative, not used)",
      `http://127.0.0.1:${nodePort}`,
      children[1]!.pid!,
      200,
    ),
  ];
  const load = (target: Server, label: string, n: number) =>
    openLoop(rate, n / rate, async (i) => {
      const [id, taskId] = [`${RUN}-cpu-${label}-${i}`, `bench-cpu-${i % 16}`];
      const status = target.plain
        ? await send(target.url, { "content-type": "application/json" }, JSON.stringify(deleted(id, taskId)))
        : await toFunction(deletedRequest(id, taskId), target.url);
      return status === target.accepted;
    });
  for (const [k, target] of servers.entries()) await load(target, `${k}-warm`, rate * 2); // JIT, sockets
  for (let r = 0; r < rounds; r++) {
    for (const [k, target] of servers.entries()) {
      const root = new Map([[target.name, target.pid]]);
      const before = cpuTicksByPiece(root);
      const step = await load(target, `${k}-${r}`, rate * seconds);
      if (step.errors > 0) report.note(`CPU per request: ${target.name} gave ${step.errors} errors at ${rate}/s`);
      target.cpuMs += cpuMsBetween(before, cpuTicksByPiece(root))[target.name]!;
      target.requests += step.sent;
    }
  }
  for (const child of children) await stop(child);
  const perRequest = (target: Server) => target.cpuMs / target.requests;
  for (const target of servers) {
    report.value(`CPU per request at ${rate}/s: ${target.name}`, perRequest(target), "ms", { n: target.requests });
  }
  const [ours, empty] = servers;
  report.goal(
    GOALS.cpuPerRequest,
    { label: ours!.name, value: perRequest(ours!), unit: "ms" },
    { label: "stock runtime, empty handler, the same CloudEvent", value: perRequest(empty!), unit: "ms" },
  );
  report.details["cpuMsPerRequest"] = Object.fromEntries(servers.map((s) => [s.name, round(perRequest(s), 4)]));
}
