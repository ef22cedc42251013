import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  FUNCTIONS,
  deploymentProblems,
  funcYamlEnvironment,
  knativeEnvironment,
  localStackEnvironment,
  type Environment,
  type FunctionName,
} from "../../hack/settings/deployments.ts";
import { renderConfiguration } from "../../hack/docs/configuration.ts";
import { ROOT, brokenCopy, readYaml } from "./support.ts";

const funcYaml = (fn: FunctionName) => join(ROOT, "functions", fn, "func.yaml");
const knativeYaml = (fn: FunctionName) => join(ROOT, "knative", `${fn}.yaml`);
const each = (read: (fn: FunctionName) => Environment) =>
  Object.fromEntries(FUNCTIONS.map((fn) => [fn, read(fn)])) as Record<FunctionName, Environment>;

/**
 * Each setting is defined once, in its function's src/settings.ts (with its default); every place
 * that sets one is checked against that definition here.
 */
describe("settings: one definition, checked everywhere they are set", () => {
  const deployments = {
    "func.yaml": () => each((fn) => funcYamlEnvironment(funcYaml(fn))),
    "knative/": () => each((fn) => knativeEnvironment(knativeYaml(fn))),
    "the local stack": () => each(localStackEnvironment),
  };

  it.each(Object.keys(deployments))("%s sets only known settings, valid, and agreeing where they must", (where) => {
    expect(deploymentProblems(deployments[where as keyof typeof deployments]())).toEqual([]);
  });

  it("func.yaml and the Knative Service of each function set the same settings to the same values", () => {
    for (const fn of FUNCTIONS) {
      expect(knativeEnvironment(knativeYaml(fn)), fn).toEqual(funcYamlEnvironment(funcYaml(fn)));
    }
  });

  it("drains within the time Knative gives a pod to stop (the revision's timeoutSeconds)", () => {
    for (const fn of FUNCTIONS) {
      const service = readYaml(knativeYaml(fn)) as { spec: { template: { spec: { timeoutSeconds: number } } } };
      const drain = knativeEnvironment(knativeYaml(fn))["SHUTDOWN_DRAIN_MS"];
      expect(drain && "value" in drain ? Number(drain.value) : 10_000).toBeLessThan(
        service.spec.template.spec.timeoutSeconds * 1000,
      );
    }
  });

  it("finds a setting no function reads, a malformed value, and timing the two reminder functions disagree on", () => {
    const good = deployments["func.yaml"]();
    const withDrift = {
      ...good,
      "publish-task-event": { ...good["publish-task-event"], RETRY_EVERY_MS: { value: "5" } },
    };
    expect(deploymentProblems(withDrift)).toEqual([
      "publish-task-event: RETRY_EVERY_MS is set, but publish-task-event has no such setting",
    ]);

    const forgetful = { ...good, "emit-reminder": { ...good["emit-reminder"], RETENTION_DAYS: { value: "3" } } };
    expect(deploymentProblems(forgetful)).toEqual([
      "emit-reminder: RETENTION_DAYS: must be at least 21: the retention of task-events plus that of task-events-dlq",
    ]);

    const malformed = { ...good, "emit-reminder": { ...good["emit-reminder"], SWEEP_GRACE_MS: { value: "soon" } } };
    expect(deploymentProblems(malformed)).toEqual([expect.stringMatching(/^emit-reminder: SWEEP_GRACE_MS: /)]);

    // Each function alone agrees with itself (45 s <= 60 s), but the pair does not: the jobs would be
    // armed 45 s ahead for an emit-reminder that holds an early trigger 30 s at most.
    const oneSided = brokenCopy(funcYaml("schedule-reminder"), (text) =>
      text.replace(
        "    - name: SHUTDOWN_DRAIN_MS",
        '    - name: REMINDER_WAKE_AHEAD_MS\n      value: "45000"\n    - name: MAX_WAIT_AHEAD_MS\n      value: "60000"\n    - name: SHUTDOWN_DRAIN_MS',
      ),
    );
    expect(deploymentProblems({ ...good, "schedule-reminder": funcYamlEnvironment(oneSided) })).toEqual([
      expect.stringMatching(/^reminder timing differs/),
    ]);

    // One function whose own settings contradict refuses them.
    const contradicting = {
      ...good,
      "emit-reminder": { ...good["emit-reminder"], REMINDER_WAKE_AHEAD_MS: { value: "45000" } },
    };
    expect(deploymentProblems(contradicting)).toContainEqual(
      expect.stringMatching(/^emit-reminder: REMINDER_WAKE_AHEAD_MS: jobs due 45000 ms ahead/),
    );
  });
});

describe("docs/configuration.md", () => {
  it("is generated from the settings' definitions and up to date (npm run docs)", async () => {
    expect(readFileSync(join(ROOT, "docs", "configuration.md"), "utf8")).toBe(await renderConfiguration());
  });
});
