import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { pin, versions } from "../support/versions.ts";
import { ROOT, readYaml } from "./support.ts";

const text = (...path: string[]) => readFileSync(join(ROOT, ...path), "utf8");

/**
 * hack/versions.env is the one place a version is pinned. The scripts and tests read it; the files
 * that cannot (Helm charts and values, go.mod files) are checked against it here.
 */
describe("one file of version pins", () => {
  it("the Dapr Shared chart and the Helm values run the pinned Dapr", () => {
    const dapr = pin("DAPR_VERSION");
    expect(readYaml(join(ROOT, "cluster", "charts", "dapr-shared", "Chart.yaml"))).toMatchObject({ appVersion: dapr });
    expect(readYaml(join(ROOT, "cluster", "charts", "dapr-shared", "values.yaml"))).toMatchObject({
      image: { tag: dapr },
    });
    expect(readYaml(join(ROOT, "hack", "cluster", "local", "dapr-values-local.yaml"))).toMatchObject({
      global: { tag: dapr },
    });
    expect(text("cluster", "helm", "dapr-values-dev.yaml")).toContain(`--version ${dapr} `);
  });

  it("Traefik's manifest runs the pinned Traefik", () => {
    expect(text("cluster", "traefik.yaml")).toContain(`image: docker.io/traefik:${pin("TRAEFIK_VERSION")}\n`);
  });

  it("the manifest checker is built on the pinned func and Knative Serving", () => {
    const goMod = text("hack", "manifest-check", "go.mod");
    expect(goMod).toMatch(new RegExp(`^\\s*knative\\.dev/func ${pin("FUNC_VERSION")}$`, "m"));
    expect(goMod).toMatch(new RegExp(`^\\s*knative\\.dev/serving ${pin("KNATIVE_SERVING_VERSION")}$`, "m"));
  });

  it("no script or test writes a pinned version itself", () => {
    const code = execFileSync("git", ["ls-files", "*.sh", "*.ts", "*.mjs"], { cwd: ROOT, encoding: "utf8" })
      .trim()
      .split("\n")
      .filter((file) => !file.startsWith("hack/bench/results/"));
    const offenders: string[] = [];
    for (const file of code) {
      const lines = readFileSync(join(ROOT, file), "utf8").split("\n");
      lines.forEach((line, index) => {
        if (/^\s*(#|\/\/|\*|\/\*)/.test(line)) return; // comments may name the version they describe
        for (const [name, value] of versions) {
          if (value.length >= 5 && line.includes(value)) offenders.push(`${file}:${index + 1} ${name}=${value}`);
        }
      });
    }
    expect(offenders).toEqual([]);
  });
});
