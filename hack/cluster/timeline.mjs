#!/usr/bin/env node
// Draws the cluster suite's report (hack/bench/results/cluster-<time>.json) as an SVG timeline beside
// it (cluster-<time>.svg): per function, its pods over the run (from the scale watch,
// scripts/watch-scale.ts, whose JSON lines the report keeps under `timeline`), each cold start
// marked, the moments every ReminderDue was published, and the suite's tests as bands.
//
//   node hack/cluster/timeline.mjs hack/bench/results/cluster-<time>.json [out.svg]
import { readFileSync, writeFileSync } from "node:fs";

const [input, output = input?.replace(/\.json$/, ".svg")] = process.argv.slice(2);
if (!input || !output) {
  console.error("usage: timeline.mjs <report.json> [out.svg]");
  process.exit(2);
}

/** The picture of a report, as SVG text. */
function timelineSvg(report) {
  const events = (report.timeline ?? []).filter((e) => typeof e.at === "number");
  const fires = (report.reminderFires ?? []).filter((f) => typeof f.at === "number");
  const phases = (report.phases ?? []).filter((p) => typeof p.start === "number");
  const start = Math.min(Date.parse(report.at), ...events.map((e) => e.at), ...phases.map((p) => p.start));
  const end = Math.max(
    report.finishedAt ? Date.parse(report.finishedAt) : 0,
    ...events.map((e) => e.at),
    ...fires.map((f) => f.at),
    ...phases.map((p) => p.end ?? p.start),
    start + 60_000,
  );
  const order = ["publish-task-event", "schedule-reminder", "emit-reminder", "cold-start-floor"];
  const services = [...new Set(events.map((e) => e.service).filter(Boolean))].sort(
    (a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99),
  );

  const width = 1600;
  const left = 170;
  const right = 20;
  const top = 64;
  const laneHeight = 80;
  const firesHeight = 40;
  const height = top + services.length * laneHeight + firesHeight + 60;
  const x = (t) => left + ((t - start) / (end - start)) * (width - left - right);
  const escape = (text) =>
    String(text).replace(/[<>&"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c]);
  const parts = [];
  const add = (s) => parts.push(s);

  add(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
  );
  add(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  add(
    `<text x="${left}" y="18" font-size="14" font-weight="bold">${escape(`Pods per function over the cluster suite (${report.at}, run ${report.run ?? "?"})`)}</text>`,
  );
  add(
    `<text x="${left}" y="34" fill="#555">${escape("pod count (step line; lane top = the most pods seen), ▲ cold start (ready after created), │ ReminderDue published; bands: the tests")}</text>`,
  );

  // The tests, as bands with their names.
  const body = top + services.length * laneHeight + firesHeight;
  phases.forEach((phase, i) => {
    const x0 = x(phase.start);
    const x1 = x(phase.end ?? phase.start);
    add(
      `<rect x="${x0.toFixed(1)}" y="${top - 14}" width="${Math.max(1, x1 - x0).toFixed(1)}" height="${body - top + 14}" fill="${i % 2 ? "#f3f6fb" : "#fbf7ef"}"/>`,
    );
    add(
      `<text x="${(x0 + 2).toFixed(1)}" y="${top - 4 - (i % 2) * 10}" fill="#777" font-size="9">${escape(phase.name.slice(0, 48))}</text>`,
    );
  });

  // Minutes along the bottom.
  const minutes = Math.ceil((end - start) / 60_000);
  const stepMinutes = minutes > 60 ? 10 : 5;
  for (let m = 0; m <= minutes; m += stepMinutes) {
    const gx = x(start + m * 60_000);
    add(`<line x1="${gx.toFixed(1)}" y1="${top}" x2="${gx.toFixed(1)}" y2="${body}" stroke="#ddd"/>`);
    add(`<text x="${gx.toFixed(1)}" y="${body + 16}" text-anchor="middle" fill="#555">${m} min</text>`);
  }

  services.forEach((service, lane) => {
    const y0 = top + lane * laneHeight;
    const mine = events.filter((e) => e.service === service);
    const counts = mine.filter((e) => e.event === "pods");
    const maxPods = Math.max(1, ...counts.map((e) => e.pods));
    const y = (pods) => y0 + laneHeight - 12 - (pods / maxPods) * (laneHeight - 30);
    add(`<line x1="${left}" y1="${y(0).toFixed(1)}" x2="${width - right}" y2="${y(0).toFixed(1)}" stroke="#bbb"/>`);
    add(
      `<text x="${left - 8}" y="${(y0 + laneHeight / 2).toFixed(1)}" text-anchor="end" font-weight="bold">${escape(service)}</text>`,
    );
    add(
      `<text x="${left - 8}" y="${(y0 + laneHeight / 2 + 13).toFixed(1)}" text-anchor="end" fill="#777">max ${maxPods} pods</text>`,
    );
    let path = `M${x(start).toFixed(1)},${y(0).toFixed(1)}`;
    for (const e of counts) {
      path += ` H${x(e.at).toFixed(1)} V${y(e.pods).toFixed(1)}`;
    }
    path += ` H${x(end).toFixed(1)}`;
    add(`<path d="${path}" fill="none" stroke="#2a6fb0" stroke-width="1.5"/>`);
    for (const e of mine.filter((e) => e.event === "cold-start")) {
      const cx = x(e.at);
      const cy = y0 + 12;
      add(
        `<path d="M${(cx - 4).toFixed(1)},${cy + 4} L${cx.toFixed(1)},${cy - 4} L${(cx + 4).toFixed(1)},${cy + 4} Z" fill="#d9480f"><title>${escape(`${service} cold start: ${e.pod ?? ""} ready ${((e.ms ?? 0) / 1000).toFixed(1)} s after it was created`)}</title></path>`,
      );
    }
  });

  // Spans without the scale watch (the node or its API server was down): shaded.
  for (const back of events.filter((e) => e.event === "watch-back" && typeof e.lostAt === "number")) {
    const x0 = x(back.lostAt);
    const x1 = x(back.at);
    add(
      `<rect x="${x0.toFixed(1)}" y="${top}" width="${Math.max(1, x1 - x0).toFixed(1)}" height="${body - top}" fill="#999" opacity="0.25"><title>no scale watch: the API server was down</title></rect>`,
    );
    add(`<text x="${(x0 + 2).toFixed(1)}" y="${body - 4}" fill="#555" font-size="9">node down</text>`);
  }

  const fy = top + services.length * laneHeight;
  add(`<text x="${left - 8}" y="${fy + 24}" text-anchor="end" font-weight="bold">ReminderDue</text>`);
  for (const f of fires) {
    add(
      `<line x1="${x(f.at).toFixed(1)}" y1="${fy + 8}" x2="${x(f.at).toFixed(1)}" y2="${fy + firesHeight - 6}" stroke="#2b8a3e" stroke-width="1.2"><title>${escape(f.key ?? "")}</title></line>`,
    );
  }
  add(
    `<text x="${left}" y="${height - 10}" fill="#555">${escape(`${events.filter((e) => e.event === "cold-start").length} cold starts, ${fires.length} ReminderDue records, ${services.length} Knative Services watched (scripts/watch-scale.ts)`)}</text>`,
  );
  add("</svg>");
  return `${parts.join("\n")}\n`;
}

writeFileSync(output, timelineSvg(JSON.parse(readFileSync(input, "utf8"))));
console.log(output);
