/**
 * The open-loop latency curve as a small SVG, written from a result's JSON: offered rate across,
 * latency up (log scale), p50 solid and p99 dashed, ours beside the floor, the p99 limit and each
 * maximum sustained rate marked. Plain text, no library.
 */
import type { Step } from "./open-loop.ts";

export interface CurveSeries {
  readonly label: string;
  readonly colour: string;
  readonly maxRate: number;
  /** The points of the curve: the steps at fractions of the maximum, and the step at the maximum. */
  readonly steps: readonly Step[];
}

const WIDTH = 720;
const HEIGHT = 400;
const PLOT = { left: 64, right: 20, top: 72, bottom: 52 };
const LOG_TICKS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];

const escape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function niceStep(range: number): number {
  const raw = range / 6;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? magnitude * 10;
}

export function latencyCurveSvg(title: string, series: readonly CurveSeries[], limitMs: number): string {
  // Steps that kept up (every answer a 2xx, sending not abandoned): beyond them latency is only the queue.
  const shown = series.map((s) => ({
    ...s,
    points: [...s.steps].filter((p) => p.errors === 0 && !p.abandoned).sort((a, b) => a.rate - b.rate),
  }));
  const all = shown.flatMap((s) => s.points);
  const maxRate = Math.max(1, ...all.map((p) => p.rate), ...series.map((s) => s.maxRate)) * 1.05;
  const maxMs = Math.max(limitMs * 2, ...all.map((p) => p.p99));
  const minMs = Math.max(0.5, Math.min(limitMs, ...all.map((p) => p.p50)) / 1.5);
  const plotW = WIDTH - PLOT.left - PLOT.right;
  const plotH = HEIGHT - PLOT.top - PLOT.bottom;
  const x = (rate: number) => PLOT.left + (rate / maxRate) * plotW;
  const y = (ms: number) =>
    PLOT.top + plotH - ((Math.log10(Math.max(ms, minMs)) - Math.log10(minMs)) / Math.log10(maxMs / minMs)) * plotH;
  const f = (n: number) => n.toFixed(1);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="14">${escape(title)}</text>`,
  ];
  const xStep = niceStep(maxRate);
  for (let rate = 0; rate <= maxRate; rate += xStep) {
    out.push(
      `<line x1="${f(x(rate))}" y1="${PLOT.top}" x2="${f(x(rate))}" y2="${PLOT.top + plotH}" stroke="#eee"/>`,
      `<text x="${f(x(rate))}" y="${PLOT.top + plotH + 16}" text-anchor="middle">${rate}</text>`,
    );
  }
  for (const ms of LOG_TICKS.filter((t) => t >= minMs && t <= maxMs)) {
    out.push(
      `<line x1="${PLOT.left}" y1="${f(y(ms))}" x2="${PLOT.left + plotW}" y2="${f(y(ms))}" stroke="#eee"/>`,
      `<text x="${PLOT.left - 6}" y="${f(y(ms) + 4)}" text-anchor="end">${ms}</text>`,
    );
  }
  out.push(
    `<rect x="${PLOT.left}" y="${PLOT.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#888"/>`,
    `<text x="${PLOT.left + plotW / 2}" y="${HEIGHT - 12}" text-anchor="middle">offered rate, events/s (open loop)</text>`,
    `<text transform="translate(16 ${PLOT.top + plotH / 2}) rotate(-90)" text-anchor="middle">latency from intended send, ms (log)</text>`,
    `<line x1="${PLOT.left}" y1="${f(y(limitMs))}" x2="${PLOT.left + plotW}" y2="${f(y(limitMs))}" stroke="#c00" stroke-dasharray="2 3"/>`,
    `<text x="${PLOT.left + 4}" y="${f(y(limitMs) - 4)}" fill="#c00">p99 limit ${limitMs} ms</text>`,
  );
  shown.forEach((s, i) => {
    for (const [key, dash] of [
      ["p50", ""],
      ["p99", ' stroke-dasharray="6 4"'],
    ] as const) {
      const path = s.points.map((p) => `${f(x(p.rate))},${f(y(p[key]))}`).join(" ");
      out.push(`<polyline points="${path}" fill="none" stroke="${s.colour}" stroke-width="2"${dash}/>`);
      for (const p of s.points)
        out.push(`<circle cx="${f(x(p.rate))}" cy="${f(y(p[key]))}" r="2.5" fill="${s.colour}"/>`);
    }
    out.push(
      `<line x1="${f(x(s.maxRate))}" y1="${PLOT.top}" x2="${f(x(s.maxRate))}" y2="${PLOT.top + plotH}" stroke="${s.colour}" stroke-dasharray="1 3"/>`,
      `<text x="${PLOT.left}" y="${40 + i * 16}" fill="${s.colour}">${escape(s.label)}: p50 solid, p99 dashed; max sustained ${s.maxRate}/s (dotted)</text>`,
    );
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
