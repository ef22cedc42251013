import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { ROOT } from "./support.ts";

interface Rendered {
  kind: string;
  metadata: { name: string };
  spec?: { replicas?: number; maxUnavailable?: number; selector?: { matchLabels?: Record<string, string> } };
}

/** cluster/charts/dapr-shared rendered by Helm: the daprd replicas of each app-id and their disruption budget. */
describe("the Dapr Shared chart", () => {
  const helm = execFileSync("bash", [join(ROOT, "hack", "install", "helm.sh")], { encoding: "utf8" }).trim();
  const render = (...sets: string[]) =>
    parseAllDocuments(
      execFileSync(
        helm,
        [
          "template",
          "dapr-shared",
          join(ROOT, "cluster", "charts", "dapr-shared"),
          ...sets.flatMap((s) => ["--set", s]),
        ],
        {
          encoding: "utf8",
        },
      ),
    )
      .map((doc) => doc.toJS() as Rendered | null)
      .filter((object): object is Rendered => object !== null);

  it("runs one daprd per app-id by default, each with a PodDisruptionBudget of at most one unavailable", () => {
    const objects = render();
    const deployments = objects.filter((o) => o.kind === "Deployment");
    expect(deployments.map((d) => [d.metadata.name, d.spec?.replicas])).toEqual([
      ["publish-task-event-dapr", 1],
      ["schedule-reminder-dapr", 1],
      ["emit-reminder-dapr", 1],
    ]);
    const budgets = objects.filter((o) => o.kind === "PodDisruptionBudget");
    for (const deployment of deployments) {
      expect(budgets.find((b) => b.metadata.name === deployment.metadata.name)?.spec).toMatchObject({
        maxUnavailable: 1,
        selector: { matchLabels: { "app.kubernetes.io/name": deployment.metadata.name } },
      });
    }
  });

  it("scales a consumer's daprds with a value (up to the partition count)", () => {
    const deployments = render("replicas.schedule-reminder=3").filter((o) => o.kind === "Deployment");
    expect(deployments.find((d) => d.metadata.name === "schedule-reminder-dapr")?.spec?.replicas).toBe(3);
  });

  it("passes helm lint --strict", () => {
    expect(
      execFileSync(helm, ["lint", "--strict", join(ROOT, "cluster", "charts", "dapr-shared")], { encoding: "utf8" }),
    ).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });
});
