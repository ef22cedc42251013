import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { pin } from "../support/versions.ts";
import { FUNC_MODULE, ROOT, goModule, readYaml } from "./support.ts";

/** Every shell script of the cluster kit (hack/), the runtime wrapper included. */
const scripts = execFileSync(
  "bash",
  ["-c", `cd ${ROOT} && ls hack/cluster/*.sh hack/cluster/*/*.sh hack/cluster/host/runc-capfix`],
  {
    encoding: "utf8",
  },
)
  .trim()
  .split("\n");

/** The bring-up's dry run: every command it would run, none run. */
function dryRun(artifacts: "internet" | "local"): string {
  // stderr into stdout, in the order written: the order of the steps is part of what is checked.
  const up = join(ROOT, "hack", "cluster", "up.sh");
  const result = spawnSync("bash", ["-c", `exec bash "${up}" --artifacts ${artifacts} --dry-run 2>&1`], {
    encoding: "utf8",
    // A user's machine without any of the tools: a dry run needs none.
    env: { PATH: "/usr/bin:/bin", HOME: process.env["HOME"] ?? "/root" },
  });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout;
}
const steps = (printed: string) => [...printed.matchAll(/^\[up\] == (\S+)/gm)].map((m) => m[1]);
const backboneSteps = (printed: string) =>
  [...printed.matchAll(/^\[backbone\] ([^(:]+)/gm)].map((m) => m[1]!.trim().replace(/\s+\S*$/, ""));

describe("the cluster kit's shell scripts", () => {
  it("pass shellcheck", () => {
    execFileSync("bash", [join(ROOT, "hack", "install", "debian-tools.sh")]);
    const result = spawnSync("shellcheck", ["-x", ...scripts], { cwd: ROOT, encoding: "utf8" });
    expect(result.stdout).toBe("");
  });

  it("pass no secret to helm or kubectl as an argument", () => {
    for (const script of scripts) {
      const text = readFileSync(join(ROOT, script), "utf8");
      expect(text, script).not.toMatch(/--set[= ]\S*token/i);
      expect(text, script).not.toMatch(/--from-literal/);
      expect(text, script).not.toMatch(/\benv\s[^\n]*(TOKEN|PASSWORD|DATABASE_URL)=/);
    }
  });
});

describe("one bring-up for a user's Minikube and for this machine (hack/cluster/up.sh --dry-run)", () => {
  const internet = dryRun("internet");
  const local = dryRun("local");

  it("runs the same steps in the same order with either artifacts", () => {
    expect(steps(internet)).toEqual([
      "setup",
      "artifacts",
      "node",
      "reach",
      "images",
      "knative",
      "ingress",
      "dapr",
      "broker",
      "backbone",
      "observability",
      "extras",
    ]);
    expect(steps(local)).toEqual(steps(internet));
    expect(backboneSteps(local)).toEqual(backboneSteps(internet));
    for (const printed of [internet, local]) {
      // Secrets made in the cluster through stdin, the Dapr Shared daprds, func deploy.
      expect(printed).toContain("(Secret publish-task-event-clients: tokens)");
      expect(printed).toContain("helm upgrade --install dapr-shared");
      expect(printed).toContain("func deploy --path");
    }
  });

  it("starts the same node: minikube, docker driver, containerd, the pinned Kubernetes, 2 CPUs, 4 GB", () => {
    for (const printed of [internet, local]) {
      expect(printed).toContain(
        `minikube -p minikube start --driver=docker --container-runtime=containerd --cni=bridge --kubernetes-version=${pin("KUBERNETES_VERSION")} --cpus=2 --memory=4096`,
      );
    }
    expect(local).toMatch(/--preload=false --cache-images=true --base-image=local\/todo-minikube-node:/);
    expect(internet).not.toMatch(/--base-image/);
  });

  it("a user gets the internet's artifacts: the pinned Knative release, Traefik, the Dapr and Redpanda charts, func's pack builder", () => {
    expect(internet).toContain(`release ${pin("KNATIVE_RELEASE")}`);
    expect(internet).toContain(`image docker.io/traefik -> docker.io/traefik:${pin("TRAEFIK_VERSION")}`);
    expect(internet).toContain(`helm upgrade --install dapr dapr/dapr --version ${pin("DAPR_VERSION")}`);
    expect(internet).toContain(
      `helm upgrade --install redpanda redpanda/redpanda --version ${pin("REDPANDA_CHART_VERSION")}`,
    );
    expect(internet).toContain("kubectl apply -f " + join(ROOT, "cluster", "topics-job.yaml"));
    expect(internet).toMatch(
      /func build --path <copy of functions\/schedule-reminder> --builder pack --image dev\.local\/todo\//,
    );
    expect(internet).toMatch(/minikube image load dev\.local\/todo\/schedule-reminder:/);
    expect(internet).not.toMatch(/dev\.local\/(knative|traefik|daprio)|host\/prepare\.sh|kafka\.yaml/);
  });

  it("this machine gets the same from its build cache: Knative's module, Traefik and Dapr built here, Kafka for Redpanda", () => {
    expect(local).toContain(
      `knative.dev/serving@${pin("KNATIVE_SERVING_VERSION")} config/core (= ${pin("KNATIVE_RELEASE")})`,
    );
    expect(local).toContain(`image docker.io/traefik -> dev.local/traefik/traefik:${pin("TRAEFIK_VERSION")}`);
    expect(local).toContain(`helm upgrade --install dapr <github.com/dapr/dapr@v${pin("DAPR_VERSION")}>/charts/dapr `);
    expect(local).toMatch(/helm upgrade --install dapr .*dapr-values-local\.yaml/);
    expect(local).toContain("hack/cluster/local/kafka.yaml");
    expect(local).toMatch(/host\/prepare\.sh[\s\S]*build\.sh[\s\S]*images\.sh build[\s\S]*images\.sh stage/);
    expect(local).toContain("hack/cluster/images.sh function schedule-reminder");
  });

  it("deploys Prometheus, Jaeger and the lag exporter with kustomize: published images for a user, those built here locally", () => {
    expect(internet).toContain(`kubectl apply -k ${join(ROOT, "cluster", "observability")}`);
    expect(internet).toContain("docker build -t dev.local/todo/kafka-lag-exporter:0.1.0");
    expect(local).toContain(`kubectl apply -k ${join(ROOT, "hack", "cluster", "local", "observability")}`);
    for (const printed of [internet, local]) {
      // Every daprd's spans to Jaeger, set on the cluster's Dapr Configurations (not on the local stack's).
      for (const fn of ["publish-task-event", "schedule-reminder", "emit-reminder"]) {
        expect(printed).toContain(
          `kubectl patch configuration ${fn} -n todo --type merge -p '{"spec":{"tracing":{"otel":{"endpointAddress":"jaeger-collector.observability.svc.cluster.local:4318","isSecure":false,"protocol":"http"}}}}'`,
        );
      }
    }
  });

  it("migrates with a Job from schedule-reminder's image, awaited, before any function rolls", () => {
    for (const printed of [internet, local]) {
      const migrate = printed.indexOf(
        "kubectl kustomize <cluster/migrate-job.yaml, image IMAGE -> dev.local/todo/schedule-reminder:",
      );
      const awaited = printed.indexOf("until Job db-migrate is Complete");
      const firstDeploy = printed.indexOf("func deploy --path");
      expect(migrate).toBeGreaterThan(0);
      expect(awaited).toBeGreaterThan(migrate);
      expect(firstDeploy).toBeGreaterThan(awaited);
      expect(printed).toMatch(
        /func deploy --path <copy of functions\/publish-task-event> --namespace todo --image dev\.local\/todo\/publish-task-event:\S+ --build=false --push=false/,
      );
    }
    expect(local).not.toMatch(/port-forward/);
  });

  it("applies the Dapr resources with kustomize: dapr/ for a user, the overlay with Kafka's address here", () => {
    expect(internet).toContain(`kubectl apply -k ${join(ROOT, "dapr")} -n todo`);
    expect(local).toContain(`kubectl apply -k ${join(ROOT, "hack", "cluster", "local", "dapr")} -n todo`);
    for (const printed of [internet, local]) expect(printed).not.toMatch(/\bsed\b.*\| kubectl apply/);
  });
});

describe("the migration Job (cluster/migrate-job.yaml)", () => {
  const job = readYaml(join(ROOT, "cluster", "migrate-job.yaml")) as {
    spec: {
      template: {
        spec: {
          containers: {
            image: string;
            command: string[];
            env: { name: string; value?: string; valueFrom?: unknown }[];
          }[];
        };
      };
    };
  };
  const container = job.spec.template.spec.containers[0]!;

  it("runs the bundled migrator through the buildpacks' launcher, which both kinds of image have", () => {
    expect(container.image).toBe("IMAGE");
    expect(container.command).toEqual(["/cnb/lifecycle/launcher", "node", "build/db-migrate.mjs"]);
    expect(container.env).toContainEqual({ name: "MIGRATIONS_DIR", value: "build/migrations" });
    expect(container.env).toContainEqual({
      name: "DATABASE_URL",
      valueFrom: { secretKeyRef: { name: "todo-database", key: "url" } },
    });
    // The image built on our machines has a launcher at the same path that runs the command as given.
    expect(readFileSync(join(ROOT, "hack", "cluster", "images.sh"), "utf8")).toMatch(/cnb\/lifecycle\/launcher/);
    // schedule-reminder's bundle carries the migrator and the migrations.
    const pkg = JSON.parse(readFileSync(join(ROOT, "functions", "schedule-reminder", "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts["build"]).toContain("--with-migrations");
  });
});

describe("one Knative version", () => {
  it("the release users install is the knative.dev/serving module the pinned func requires and this machine builds", () => {
    const release = /^knative-v1\.(\d+)\.(\d+)$/.exec(pin("KNATIVE_RELEASE"));
    const module = /^v0\.(\d+)\.(\d+)$/.exec(pin("KNATIVE_SERVING_VERSION"));
    expect(release).not.toBeNull();
    expect(module).not.toBeNull();
    // Knative's modules are numbered v0.<release minor + 27>: knative-v1.23.x is knative.dev/serving v0.50.x.
    expect(Number(module![1])).toBe(Number(release![1]) + 27);
    const funcGoMod = readFileSync(join(goModule(FUNC_MODULE), "go.mod"), "utf8");
    expect(funcGoMod).toMatch(new RegExp(`knative\\.dev/serving v0\\.${module![1]}\\.${module![2]}\\b`));
  });
});
