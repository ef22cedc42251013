import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { ROOT, brokenCopy } from "./support.ts";

const install = (script: string) =>
  execFileSync("bash", [join(ROOT, "hack", "install", script)], { encoding: "utf8" }).trim();
const VALUES = join(ROOT, "cluster", "helm", "redpanda-values-minimal.yaml");

/**
 * Our Redpanda values, rendered and linted by the real chart (26.2.1, its values schema closed:
 * an unknown key fails), from where hack/install/redpanda-chart.sh takes it.
 */
describe("Redpanda values against the Redpanda chart itself", () => {
  const helm = install("helm.sh");
  const chart = install("redpanda-chart.sh");
  const lint = (values: string) => spawnSync(helm, ["lint", "--strict", chart, "-f", values], { encoding: "utf8" });

  it("passes helm lint --strict (the chart's values schema)", () => {
    const result = lint(VALUES);
    expect(result.stdout + result.stderr).toContain("1 chart(s) linted, 0 chart(s) failed");
    expect(result.status).toBe(0);
  });

  it("renders one small broker, no console, no TLS", () => {
    const rendered = execFileSync(helm, ["template", "redpanda", chart, "-n", "redpanda", "-f", VALUES], {
      encoding: "utf8",
    });
    const objects = parseAllDocuments(rendered)
      .map(
        (doc) => doc.toJS() as { kind?: string; metadata?: { name?: string }; spec?: Record<string, unknown> } | null,
      )
      .filter((object) => object?.kind !== undefined);
    const statefulSet = objects.find((object) => object?.kind === "StatefulSet");
    expect(statefulSet?.spec?.["replicas"]).toBe(1);
    expect(rendered).toMatch(/--smp=1/);
    expect(objects.some((object) => object?.metadata?.name?.includes("console"))).toBe(false);
  });

  it("fails on a values file with a key the chart does not know", () => {
    const broken = brokenCopy(VALUES, (text) => text.replace("  replicas: 1", "  replicas: 1\n  replicaz: 2"));
    const result = lint(broken);
    expect(result.status).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/replicaz/);
  });
});
