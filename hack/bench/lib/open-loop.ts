/**
 * Open-loop load: requests sent at a constant arrival rate whatever the answers do, each latency
 * measured from when the request SHOULD have been sent. A closed loop (each worker waits for its
 * answer before the next request) slows down with the server and hides the queue a user would
 * stand in (coordinated omission); here a slow answer delays nothing, and a client running late
 * (two busy cores) counts against the latency, never for it.
 */
import { BOUNDS } from "../goals.ts";
import { now } from "./context.ts";
import { percentile, round } from "./report.ts";

/** One constant-rate step of a load. */
export interface Step {
  /** Offered rate, requests per second. */
  readonly rate: number;
  readonly seconds: number;
  readonly sent: number;
  readonly errors: number;
  /** Latency from the intended send time, ms, over the answered requests. */
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  /** The median of the step's last quarter: grows while a queue builds. */
  readonly lastQuarterP50: number;
  /** Answers with a 2xx per second, from the first intended send to the last answer. */
  readonly achieved: number;
  /** Every answer a 2xx and no queue building (BOUNDS.sustainedQueueP50Ms). */
  readonly sustained: boolean;
  /** Sending stopped early: more requests in flight than two seconds of the rate. */
  readonly abandoned: boolean;
}

/**
 * Sends `rate` requests per second for `seconds`: request i is due at start + i/rate, and is sent
 * as soon as the timer gets there (all those due at once when it is late). `send` resolves to
 * whether the answer was the expected one.
 */
export async function openLoop(rate: number, seconds: number, send: (i: number) => Promise<boolean>): Promise<Step> {
  const total = Math.max(1, Math.round(rate * seconds));
  const intervalMs = 1000 / rate;
  const latencies = new Float64Array(total).fill(NaN);
  const answers: Promise<void>[] = [];
  let inFlight = 0;
  let next = 0;
  const sending = { abandoned: false };
  const start = now() + 5;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const at = now();
      while (next < total && start + next * intervalMs <= at) {
        const i = next++;
        const intended = start + i * intervalMs;
        inFlight++;
        answers.push(
          send(i).then((ok) => {
            inFlight--;
            if (ok) latencies[i] = now() - intended;
          }),
        );
      }
      if (inFlight > 2 * rate) sending.abandoned = true;
      if (next >= total || sending.abandoned) resolve();
      else setTimeout(tick, Math.max(0, start + next * intervalMs - now()));
    };
    tick();
  });
  await Promise.all(answers);
  const end = now();
  const answered = [...latencies.subarray(0, next)].filter((l) => !Number.isNaN(l));
  const lastQuarter = [...latencies.subarray(Math.floor((next * 3) / 4), next)].filter((l) => !Number.isNaN(l));
  const errors = next - answered.length + (total - next);
  const lastQuarterP50 = percentile(lastQuarter, 50);
  return {
    rate: round(rate, 0),
    seconds,
    sent: next,
    errors,
    p50: round(percentile(answered, 50)),
    p90: round(percentile(answered, 90)),
    p99: round(percentile(answered, 99)),
    max: round(answered.reduce((a, b) => Math.max(a, b), 0)),
    lastQuarterP50: round(lastQuarterP50),
    achieved: round(answered.length / ((end - start) / 1000), 0),
    sustained: !sending.abandoned && errors === 0 && lastQuarterP50 <= BOUNDS.sustainedQueueP50Ms,
    abandoned: sending.abandoned,
  };
}

/**
 * The highest sustained rate, searched: from `start`, doubling while sustained, then halving the
 * interval between the highest rate sustained and the lowest not, until they are within
 * `precision` of each other. A rate that fails is tried once more before it counts as failed: the
 * machine is shared, and one burst of a neighbour's work must not cap the search.
 */
export class RateSearch {
  private sustained = 0;
  private failed = Infinity;
  private retry: number | undefined;
  private readonly retried = new Set<number>();
  readonly steps: Step[] = [];
  private readonly start: number;
  private readonly precision: number;

  constructor(start: number, precision = 0.06) {
    this.start = start;
    this.precision = precision;
  }

  /** The next rate to try, or undefined when the search is done. */
  next(): number | undefined {
    if (this.retry !== undefined) return this.retry;
    if (this.failed === Infinity) return this.sustained === 0 ? this.start : this.sustained * 2;
    if (this.sustained === 0) return this.failed / 2 < 10 ? undefined : Math.round(this.failed / 2);
    if ((this.failed - this.sustained) / this.sustained <= this.precision) return undefined;
    return Math.round((this.sustained + this.failed) / 2);
  }

  record(step: Step): void {
    this.steps.push(step);
    this.retry = undefined;
    if (step.sustained) {
      this.sustained = Math.max(this.sustained, step.rate);
    } else if (!this.retried.has(step.rate)) {
      this.retried.add(step.rate);
      this.retry = step.rate;
    } else {
      this.failed = Math.min(this.failed, step.rate);
    }
  }

  /** The highest rate sustained (0 if none was). */
  get max(): number {
    return this.sustained;
  }
}

/**
 * The offered rate at which p99 passes `limitMs`, from the measured steps: between the highest
 * rate whose p99 stayed within it and the next rate measured above it, linearly interpolated.
 * `below`: steps at lower rates whose p99 passed it anyway (a spike on a busy machine).
 */
export function rateWhereP99Passes(
  steps: readonly Step[],
  limitMs: number,
): { rate: number | undefined; below: number } {
  const byRate = [...steps].sort((a, b) => a.rate - b.rate);
  const within = (s: Step) => s.errors === 0 && s.p99 <= limitMs;
  const under = byRate.filter(within).at(-1);
  const over = byRate.find((s) => !within(s) && s.rate > (under?.rate ?? -1));
  const below = byRate.filter((s) => !within(s) && s.rate < (under?.rate ?? -1)).length;
  if (!over) return { rate: undefined, below };
  if (!under) return { rate: over.rate, below };
  const p99Over = Number.isFinite(over.p99) && over.p99 > limitMs ? over.p99 : limitMs * 10;
  const fraction = (limitMs - under.p99) / (p99Over - under.p99);
  return { rate: round(under.rate + fraction * (over.rate - under.rate), 0), below };
}
