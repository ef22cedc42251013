import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { pin } from "../support/versions.ts";
import { ROOT, readYaml } from "./support.ts";

const DIR = join(ROOT, "cluster", "observability");

interface ScrapeConfig {
  job_name: string;
  kubernetes_sd_configs?: { role: string }[];
  static_configs?: unknown[];
  relabel_configs?: { source_labels?: string[]; regex?: string; action?: string }[];
}

/** Prometheus' configuration, checked by its own promtool, and what it may scrape. */
describe("Prometheus' configuration (cluster/observability/prometheus.yml)", () => {
  const promtool = execFileSync("bash", [join(ROOT, "hack", "install", "promtool.sh")], { encoding: "utf8" }).trim();
  const config = readYaml(join(DIR, "prometheus.yml")) as { rule_files: string[]; scrape_configs: ScrapeConfig[] };

  it("is valid for Prometheus (promtool check config), with the alert rules it names", () => {
    // In the pod the files are under /etc/prometheus (a ConfigMap); here side by side.
    const dir = mkdtempSync(join(tmpdir(), "prometheus-"));
    writeFileSync(
      join(dir, "prometheus.yml"),
      readFileSync(join(DIR, "prometheus.yml"), "utf8").replaceAll("/etc/prometheus/", ""),
    );
    copyFileSync(join(DIR, "alert-rules.yaml"), join(dir, "alert-rules.yaml"));
    const result = spawnSync(promtool, ["check", "config", "--syntax-only", "prometheus.yml"], {
      cwd: dir,
      encoding: "utf8",
    });
    expect(result.stdout + result.stderr).toMatch(/SUCCESS/);
    expect(config.rule_files).toEqual(["/etc/prometheus/alert-rules.yaml"]);
  });

  it("finds every target by discovery of running pods (or the nodes' kubelets): a function at zero has no target to wake", () => {
    for (const job of config.scrape_configs) {
      expect(job.static_configs, job.job_name).toBeUndefined();
      const roles = job.kubernetes_sd_configs?.map((sd) => sd.role);
      expect(roles, job.job_name).toEqual([job.job_name === "kubelet-probes" ? "node" : "pod"]);
    }
    // The functions are scraped on their own container's port at the pod's address: never through
    // a Service (the activator would wake them) or the queue-proxy (it would count as load).
    const functions = config.scrape_configs.find((job) => job.job_name === "functions")!;
    expect(functions.relabel_configs?.[0]).toMatchObject({ action: "keep", regex: ".+;user-port;Running" });
  });
});

describe("the kustomizations (cluster/observability and the overlay of the cluster built here)", () => {
  it("the overlay's images are the pinned releases", () => {
    const overlay = readYaml(join(ROOT, "hack", "cluster", "local", "observability", "kustomization.yaml")) as {
      images: { name: string; newName: string; newTag: string }[];
    };
    const prometheus = pin("PROMETHEUS_VERSION").replace(
      /^v0\.(\d)(\d\d)\.(\d+)$/,
      (_, major: string, minor: string, patch: string) => `v${major}.${Number(minor)}.${patch}`,
    );
    expect(overlay.images).toEqual([
      { name: "quay.io/prometheus/prometheus", newName: "dev.local/prometheus/prometheus", newTag: prometheus },
      {
        name: "docker.io/jaegertracing/all-in-one",
        newName: "dev.local/jaegertracing/all-in-one",
        newTag: pin("JAEGER_VERSION").slice(1),
      },
    ]);
    const documents = ["prometheus.yaml", "jaeger.yaml"]
      .map((file) => readFileSync(join(DIR, file), "utf8"))
      .join("\n");
    expect(documents).toContain(`image: quay.io/prometheus/prometheus:${prometheus}`);
    expect(documents).toContain(`image: docker.io/jaegertracing/all-in-one:${pin("JAEGER_VERSION").slice(1)}`);
  });
});

/**
 * The metric names a PromQL expression reads: identifiers that are not functions, keywords, label
 * names (inside {} or a by/without/on/ignoring list), durations or numbers.
 */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, "{}")
    .replace(/\[[^\]]*\]/g, "[]")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ");
  const keywords = new Set(["and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring"]);
  return [...stripped.matchAll(/([A-Za-z_:][A-Za-z0-9_:]*)(\s*\()?/g)]
    .filter((m) => m[2] === undefined && !keywords.has(m[1]!) && !/^(Inf|NaN|e\d*)$/i.test(m[1]!))
    .map((m) => m[1]!);
}

interface Dashboard {
  title: string;
  panels: { title: string; targets?: { expr: string }[] }[];
}

describe("the Grafana dashboard (cluster/observability/dashboard.json)", () => {
  const confirmed = new Set(
    (JSON.parse(readFileSync(join(DIR, "dashboard-series.json"), "utf8")) as { series: string[] }).series,
  );
  const unknownIn = (dashboard: Dashboard) =>
    dashboard.panels.flatMap((panel) =>
      (panel.targets ?? []).flatMap((t) => metricNames(t.expr).filter((name) => !confirmed.has(name))),
    );

  it("reads metric names the way PromQL does", () => {
    expect(
      metricNames(
        'histogram_quantile(0.99, sum by (le) (rate(todo_reminder_lateness_seconds_bucket{faas_name="x"}[15m]))) > 1 and on (a) up',
      ),
    ).toEqual(["todo_reminder_lateness_seconds_bucket", "up"]);
  });

  it("parses, and names only series a live cluster was seen to have (tests/cluster/observability.test.ts checks that list)", () => {
    const dashboard = JSON.parse(readFileSync(join(DIR, "dashboard.json"), "utf8")) as Dashboard;
    const exprs = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((t) => t.expr));
    expect(exprs.length).toBeGreaterThan(5);
    expect(unknownIn(dashboard)).toEqual([]);
    // A dashboard naming a series that does not exist is caught.
    const typo = structuredClone(dashboard);
    typo.panels[0]!.targets![0]!.expr = "sum(rate(todo_events_acepted_total[5m]))";
    expect(unknownIn(typo)).toEqual(["todo_events_acepted_total"]);
  });
});
