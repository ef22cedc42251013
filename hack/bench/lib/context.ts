/** What every scenario shares: where the checkout is, this run's id, the stack's pieces, the bench's own ports. */
import { join } from "node:path";
import { stack, type FunctionName } from "../../../tests/support/stack.ts";
import type { Report } from "./report.ts";

export const ROOT = join(import.meta.dirname, "..", "..", "..");
/** A prefix for this run's ids, so that no two runs share an event id or a task. */
export const RUN = Date.now().toString(36);
export const FUNCTIONS: readonly FunctionName[] = ["publish-task-event", "schedule-reminder", "emit-reminder"];
/** Every process of the stack, by the name of its pid file. */
export const PIECES = ["kafka", "postgres", "scheduler", ...FUNCTIONS.flatMap((fn) => [fn, `${fn}-dapr`])];
export const now = () => performance.now();

/**
 * The ports the bench starts its own processes on (extra functions, the floor): 18800 and up,
 * moved by the stack's port offset like every port of that stack, so that two stacks on one
 * machine (the bench's, the tests') never meet.
 */
export const benchPort = (n: number) => 18800 + portOffset() + n;

/** How far the stack's ports are moved (STACK_PORT_OFFSET when it was brought up). */
export const portOffset = () => (stack() as { portOffset?: number }).portOffset ?? 0;

/** What the scenarios hand each other: the report, and what one scenario built for later ones. */
export interface Run {
  readonly report: Report;
  /** schedule-reminder bundled on pg alone (hack/bench/pg-reminder-store.ts), built once before the clocks start. */
  readonly onPgDir: string;
  /** The stock runtime's RSS at rest, MB: the reference of the memory goals. */
  stockIdleRssMb?: number;
  /** Peak RSS of each function under the open-loop load, MB. */
  peakRssMb?: Record<string, number>;
  /** The highest rate publish-task-event sustained in this run (the throughput scenario), events/s. */
  maxPublishRate?: number;
}
