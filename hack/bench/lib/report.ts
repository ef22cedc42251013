/**
 * What a bench run collects: figures (a sample's p50/p99, or one value), one row per goal
 * (goals.ts), details for the JSON, notes, and the load average the machine had while each
 * scenario ran. Every scenario writes here; the runner prints and saves it.
 */
import { readFileSync } from "node:fs";
import { goalRow, type Goal, type GoalRow, type Measured } from "../goals.ts";

export interface Figure {
  readonly name: string;
  readonly n: number;
  readonly p50: number;
  readonly p99?: number;
  readonly unit: string;
  /** An absolute bound (BOUNDS in goals.ts), when the figure has one. */
  readonly target?: string;
  readonly met?: boolean;
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

export const round = (value: number, digits = 2) => Number(value.toFixed(digits));

/** The 1, 5 and 15 minute load averages of the machine now. */
export const loadAverage = (): [number, number, number] => {
  const [one, five, fifteen] = readFileSync("/proc/loadavg", "utf8").split(" ").map(Number);
  return [one ?? NaN, five ?? NaN, fifteen ?? NaN];
};

export class Report {
  readonly figures: Figure[] = [];
  readonly goals: GoalRow[] = [];
  readonly notes: string[] = [];
  readonly details: Record<string, unknown> = {};
  /** The load average when each scenario started, and at the end of the run. */
  readonly loadAverage: Record<string, [number, number, number]> = { start: loadAverage() };

  /** A sample's p50 and p99, beside its bound when it has one. */
  sample(name: string, samples: readonly number[], unit: string, bound?: { p99: number; label: string }): Figure {
    const p99 = percentile(samples, 99);
    const figure: Figure = {
      name,
      n: samples.length,
      p50: round(percentile(samples, 50)),
      p99: round(p99),
      unit,
      ...(bound ? { target: bound.label, met: p99 <= bound.p99 } : {}),
    };
    this.figures.push(figure);
    return figure;
  }

  /** One value (a rate, a ratio, a count), beside its bound when it has one. */
  value(name: string, value: number, unit: string, options: { n?: number; target?: string; met?: boolean } = {}) {
    const { n = 1, ...bound } = options;
    this.figures.push({ name, n, p50: round(value, unit === "ms" ? 3 : 2), unit, ...bound });
  }

  /** A goal's row (goals.ts): ours against the reference measured beside it. */
  goal(goal: Goal, ours: Measured, reference?: Measured, subject?: string): GoalRow {
    const row = goalRow(goal, ours, reference, subject);
    this.goals.push(row);
    return row;
  }

  note(text: string): void {
    this.notes.push(text);
  }

  scenarioStarts(name: string): void {
    this.loadAverage[name] = loadAverage();
  }
}
