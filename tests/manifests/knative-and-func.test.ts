import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ajvDraft04 from "ajv-draft-04";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { FUNC_MODULE, ROOT, brokenCopy, goModule, manifestCheck } from "./support.ts";

const FUNCTIONS = ["publish-task-event", "schedule-reminder", "emit-reminder"];
const services = FUNCTIONS.map((fn) => join(ROOT, "knative", `${fn}.yaml`));

describe("Knative Services: defaults + validation as the Knative webhook applies them", () => {
  it("accepts the three Services", () => {
    const { ok, output } = manifestCheck("ksvc", ...services);
    expect(output).not.toContain("INVALID");
    expect(ok).toBe(true);
  });

  it("scales each function to zero, probes the runtime's health endpoints and runs as non-root", () => {
    for (const path of services) {
      const ksvc = parse(readFileSync(path, "utf8")) as {
        spec: {
          template: {
            metadata: { annotations: Record<string, string> };
            spec: { containers: Record<string, unknown>[] };
          };
        };
      };
      const { annotations } = ksvc.spec.template.metadata;
      const [container] = ksvc.spec.template.spec.containers;
      expect(annotations["autoscaling.knative.dev/min-scale"]).toBe("0");
      expect(container).toMatchObject({
        livenessProbe: { httpGet: { path: "/health/liveness" } },
        readinessProbe: { httpGet: { path: "/health/readiness" } },
        securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false },
        resources: { requests: {}, limits: {} },
      });
    }
  });

  it("keeps the internal functions cluster-local: only their daprd calls them", () => {
    const visibility = (path: string) =>
      (parse(readFileSync(path, "utf8")) as { metadata: { labels: Record<string, string> } }).metadata.labels[
        "networking.knative.dev/visibility"
      ];
    expect(services.map(visibility)).toEqual([undefined, "cluster-local", "cluster-local"]);
    for (const fn of ["schedule-reminder", "emit-reminder"]) {
      const func = parse(readFileSync(join(ROOT, "functions", fn, "func.yaml"), "utf8")) as {
        deploy: { labels: { key: string; value: string }[] };
      };
      expect(func.deploy.labels).toContainEqual({ key: "networking.knative.dev/visibility", value: "cluster-local" });
    }
  });

  it("refuses a broken Service", () => {
    const broken = brokenCopy(services[0]!, (text) => text.replace('min-scale: "0"', 'min-scale: "-1"'));
    expect(manifestCheck("ksvc", broken)).toMatchObject({ ok: false });
    const badConcurrency = brokenCopy(services[1]!, (text) =>
      text.replace("containerConcurrency: 100", "containerConcurrency: -5"),
    );
    expect(manifestCheck("ksvc", badConcurrency)).toMatchObject({ ok: false });
  });

  it("accepts the autoscaler config as the autoscaler parses it, and refuses a broken one", () => {
    const config = join(ROOT, "knative", "config-autoscaler.yaml");
    expect(manifestCheck("autoscaler", config)).toMatchObject({ ok: true });
    const broken = brokenCopy(config, (text) =>
      text.replace('scale-to-zero-grace-period: "30s"', 'scale-to-zero-grace-period: "-30s"'),
    );
    expect(manifestCheck("autoscaler", broken)).toMatchObject({ ok: false });
  });
});

describe("func.yaml: func's own loading and validation, and its published JSON Schema", () => {
  const funcDirs = [ROOT, ...FUNCTIONS.map((fn) => join(ROOT, "functions", fn))];
  it("loads and validates every func.yaml as the func CLI does", () => {
    const { ok, output } = manifestCheck("func", ...funcDirs);
    expect(output).not.toContain("INVALID");
    expect(ok).toBe(true);
  });

  it("makes Services the Knative webhook accepts, built with func's own deployer code", () => {
    const { ok, output } = manifestCheck("func-ksvc", ...funcDirs.slice(1));
    expect(output).not.toContain("INVALID");
    expect(ok).toBe(true);
    // func copies deploy.annotations onto the Service: an autoscaling one there is refused (seen live).
    const dir = mkdtempSync(join(tmpdir(), "func-"));
    const text = readFileSync(join(ROOT, "functions", "emit-reminder", "func.yaml"), "utf8");
    writeFileSync(
      join(dir, "func.yaml"),
      text.replace(
        '    dapr.io/enabled: "false"\n',
        '    dapr.io/enabled: "false"\n    autoscaling.knative.dev/window: 60s\n',
      ),
    );
    expect(manifestCheck("func-ksvc", dir)).toMatchObject({ ok: false });
  });

  it("holds no deployed image: func writes one back into the func.yaml it deploys, so we deploy a copy", () => {
    for (const fn of FUNCTIONS) {
      const func = parse(readFileSync(join(ROOT, "functions", fn, "func.yaml"), "utf8")) as Record<string, unknown>;
      expect(func["image"], `${fn}/func.yaml`).toBeUndefined();
      expect((func["deploy"] as Record<string, unknown>)["image"], `${fn}/func.yaml`).toBeUndefined();
    }
    const script = readFileSync(join(ROOT, "hack", "cluster", "backbone.sh"), "utf8");
    expect(script).toMatch(/dir=\$\(function_copy "\$fn"\)/);
    expect(script).toMatch(/func deploy --path "\$dir"/);
  });

  it("matches func's JSON Schema (draft-04, no unknown fields)", () => {
    const validate = funcSchemaValidator();
    for (const dir of funcDirs) {
      const document = parse(readFileSync(join(dir, "func.yaml"), "utf8")) as unknown;
      expect(validate(document), `${dir}/func.yaml: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });

  it("refuses a broken func.yaml", () => {
    const validate = funcSchemaValidator();
    const text = readFileSync(join(ROOT, "functions", "emit-reminder", "func.yaml"), "utf8");
    expect(validate(parse(text.replace("runtime: typescript", "runtime: typescript\nmemory: 1Gi")))).toBe(false);
    const dir = mkdtempSync(join(tmpdir(), "func-"));
    writeFileSync(join(dir, "func.yaml"), text.replace("metric: concurrency", "metric: bananas"));
    expect(manifestCheck("func", dir)).toMatchObject({ ok: false });
  });
});

/** func's published schema for func.yaml, from the func release the manifest checker is built on. */
function funcSchemaValidator() {
  const schema = JSON.parse(
    readFileSync(join(goModule(FUNC_MODULE), "schema", "func_yaml-schema.json"), "utf8"),
  ) as object;
  return new ajvDraft04.default({ strict: false, allErrors: true }).compile(schema);
}
