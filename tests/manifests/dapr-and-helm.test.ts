import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import { describe, expect, it } from "vitest";
import { ROOT, brokenCopy, daprRelease, readYaml, readYamlDocuments } from "./support.ts";

interface Resource {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
}

const daprResources = [
  ...readdirSync(join(ROOT, "dapr", "configurations")).map((f) => `dapr/configurations/${f}`),
  "dapr/resiliency.yaml",
  ...readdirSync(join(ROOT, "dapr", "components")).map((f) => `dapr/components/${f}`),
  ...readdirSync(join(ROOT, "dapr", "subscriptions")).map((f) => `dapr/subscriptions/${f}`),
].map((path) => join(ROOT, path));

describe("dapr/kustomization.yaml", () => {
  it("applies every Dapr resource of the folder, and nothing else", () => {
    const kustomization = readYaml(join(ROOT, "dapr", "kustomization.yaml")) as { resources: string[] };
    expect(kustomization.resources.map((path) => join(ROOT, "dapr", path)).sort()).toEqual([...daprResources].sort());
  });
});

/**
 * What the API server does with a field its structural schema does not declare: kubectl's strict
 * field validation refuses it ("strict decoding error: unknown field"), unless the schema says
 * x-kubernetes-preserve-unknown-fields. JSON Schema lets unknown fields through, so every object
 * schema that declares properties is closed here.
 */
function closeUnknownFields(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closeUnknownFields);
  if (typeof schema !== "object" || schema === null) return schema;
  const copy = Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, closeUnknownFields(value)]));
  if (
    "properties" in copy &&
    !("additionalProperties" in copy) &&
    copy["x-kubernetes-preserve-unknown-fields"] !== true
  ) {
    copy["additionalProperties"] = false;
  }
  return copy;
}

/** Validators for each kind + version, from the openAPIV3Schema of the Dapr release's own CRDs. */
function crdValidators(): Map<string, ValidateFunction> {
  const ajv = new Ajv({ strict: false, allErrors: true });
  const validators = new Map<string, ValidateFunction>();
  const crdDir = join(daprRelease(), "charts", "dapr", "crds");
  for (const file of readdirSync(crdDir)) {
    for (const crd of readYamlDocuments(join(crdDir, file)) as {
      spec?: {
        group: string;
        names: { kind: string };
        versions: { name: string; schema?: { openAPIV3Schema: object } }[];
      };
    }[]) {
      for (const version of crd.spec?.versions ?? []) {
        if (version.schema) {
          validators.set(
            `${crd.spec!.group}/${version.name}/${crd.spec!.names.kind}`,
            ajv.compile(closeUnknownFields(version.schema.openAPIV3Schema) as object),
          );
        }
      }
    }
  }
  return validators;
}

function validateResource(validators: Map<string, ValidateFunction>, path: string): string[] {
  const resource = readYaml(path) as Resource;
  const validate = validators.get(`${resource.apiVersion}/${resource.kind}`);
  if (!validate) return [`no CRD for ${resource.apiVersion} ${resource.kind}`];
  return validate(resource) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ""}`);
}

describe("Dapr resources against the CRD schemas of Dapr 1.18", () => {
  const validators = crdValidators();

  it.each(daprResources.map((path) => [path.slice(ROOT.length + 1), path]))("%s is valid", (_name, path) => {
    expect(validateResource(validators, path)).toEqual([]);
  });

  it("refuses broken resources", () => {
    const subscription = join(ROOT, "dapr", "subscriptions", "task-events.yaml");
    const wrongType = brokenCopy(subscription, (t) =>
      t.replace("deadLetterTopic: task-events-dlq", "deadLetterTopic: [task-events-dlq]"),
    );
    const noTopic = brokenCopy(subscription, (t) => t.replace("  topic: task-events\n", ""));
    const component = join(ROOT, "dapr", "components", "kafka-pubsub.yaml");
    const noType = brokenCopy(component, (t) => t.replace("  type: pubsub.kafka\n", ""));
    // A field the kind does not have: the live API server refused exactly this one.
    const unknownField = brokenCopy(join(ROOT, "dapr", "resiliency.yaml"), (t) =>
      t.replace("        policy: exponential\n", "        policy: exponential\n        initialInterval: 200ms\n"),
    );
    for (const broken of [wrongType, noTopic, noType, unknownField]) {
      expect(validateResource(validators, broken), broken).not.toEqual([]);
    }
  });

  it("scopes every resource to the app-ids that use it, and gives the subscription a dead-letter topic", () => {
    const component = readYaml(join(ROOT, "dapr", "components", "kafka-pubsub.yaml")) as {
      scopes: string[];
      spec: { metadata: { name: string; value: string }[] };
    };
    expect(component.scopes.sort()).toEqual(["emit-reminder", "publish-task-event", "schedule-reminder"]);
    const metadata = Object.fromEntries(component.spec.metadata.map((m) => [m.name, m.value]));
    expect(metadata).toMatchObject({
      brokers: "redpanda.redpanda:9092",
      consumerGroup: "{appID}",
      authType: "none",
      // No record header becomes an HTTP header of a delivery (a poison class), keys are escaped.
      excludeHeaderMetaRegex: ".*",
      escapeHeaders: "true",
      publishingScopes:
        "publish-task-event=task-events,task-updates;schedule-reminder=task-events-dlq;emit-reminder=reminders",
      subscriptionScopes: "publish-task-event=;schedule-reminder=task-events;emit-reminder=",
    });
    const subscription = readYaml(join(ROOT, "dapr", "subscriptions", "task-events.yaml")) as {
      scopes: string[];
      spec: { deadLetterTopic: string };
    };
    expect(subscription).toMatchObject({ scopes: ["schedule-reminder"], spec: { deadLetterTopic: "task-events-dlq" } });
  });
});

/** Every key path of a values document, as "a.b.c" (lists and free-form maps stop the walk). */
function keyPaths(value: unknown, prefix = ""): string[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [prefix];
  const entries = Object.entries(value);
  if (entries.length === 0) return [prefix];
  return entries.flatMap(([key, child]) => keyPaths(child, prefix ? `${prefix}.${key}` : key));
}

/** Which of our value paths the chart does not know: it must have that path, or a map above it. */
function unknownValues(ours: unknown, chart: unknown): string[] {
  const known = new Set(keyPaths(chart));
  return keyPaths(ours).filter((path) => {
    const parts = path.split(".");
    return !parts.some((_, i) => known.has(parts.slice(0, i + 1).join(".")));
  });
}

describe("least privilege between the sidecars", () => {
  const allowed = (fn: string) =>
    (
      readYaml(join(ROOT, "dapr", "configurations", `${fn}.yaml`)) as { spec: { api: { allowed: { name: string }[] } } }
    ).spec.api.allowed
      .map((rule) => rule.name)
      .sort();

  it("each daprd opens only the Dapr APIs its function uses", () => {
    expect(allowed("publish-task-event")).toEqual(["publish"]);
    expect(allowed("schedule-reminder")).toEqual(["publish"]);
    expect(allowed("emit-reminder")).toEqual(["jobs", "publish"]);
  });

  it("each Dapr Shared daprd runs with its own configuration and its tokens from its own Secret", () => {
    const template = readFileSync(join(ROOT, "cluster", "charts", "dapr-shared", "templates", "daprd.yaml"), "utf8");
    expect(template).toContain("--config={{ $app }}");
    expect(template).toContain("name: {{ $app }}-tokens");
    expect(template).toContain("automountServiceAccountToken: false");
  });
});

describe("no secret on a command line", () => {
  it("no script passes a secret to helm or kubectl as an argument", () => {
    for (const script of execFileSync(
      "bash",
      ["-c", `cd ${ROOT} && ls scripts/*.sh hack/*.sh hack/install/*.sh hack/bench/*.sh`],
      {
        encoding: "utf8",
      },
    )
      .trim()
      .split("\n")) {
      const text = readFileSync(join(ROOT, script), "utf8");
      expect(text, script).not.toMatch(/--set[= ]\S*token/i);
      expect(text, script).not.toMatch(/--from-literal/);
      expect(text, script).not.toMatch(/\benv\s[^\n]*(TOKEN|PASSWORD|DATABASE_URL)=/);
    }
  });
});

describe("Helm values against the chart's own value names", () => {
  it("values-dev uses only values the Dapr 1.18 chart (and its subcharts) define", () => {
    const chartDir = join(daprRelease(), "charts", "dapr");
    const chart = readYaml(join(chartDir, "values.yaml")) as Record<string, unknown>;
    for (const sub of readdirSync(join(chartDir, "charts"))) {
      chart[sub] = readYaml(join(chartDir, "charts", sub, "values.yaml"));
    }
    const ours = readYaml(join(ROOT, "cluster", "helm", "dapr-values-dev.yaml"));
    expect(unknownValues(ours, chart)).toEqual([]);
    expect(unknownValues({ dapr_scheduler: { replicas: 1 } }, chart)).toEqual(["dapr_scheduler.replicas"]);
  });
});

describe("shell scripts", () => {
  const scripts = execFileSync(
    "bash",
    ["-c", `cd ${ROOT} && ls scripts/*.sh hack/*.sh hack/install/*.sh hack/bench/*.sh`],
    {
      encoding: "utf8",
    },
  )
    .trim()
    .split("\n");

  it("pass shellcheck", () => {
    execFileSync("bash", [join(ROOT, "hack", "install", "debian-tools.sh")]);
    const result = (() => {
      try {
        return execFileSync("shellcheck", ["-x", ...scripts], { cwd: ROOT, encoding: "utf8" });
      } catch (error) {
        return (error as { stdout: string }).stdout;
      }
    })();
    expect(result).toBe("");
  });

  // The cluster kit's scripts (hack/) and its bring-up's dry run: tests/manifests/cluster-kit.test.ts.
});
