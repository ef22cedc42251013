import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, brokenCopy } from "./support.ts";

const RULES = join(ROOT, "cluster", "observability", "alert-rules.yaml");
const RULE_TESTS = join(ROOT, "cluster", "observability", "alert-rules.test.yaml");

/** The alert rules, checked and unit-tested by Prometheus' own promtool. */
describe("alert rules (promtool)", () => {
  const promtool = execFileSync("bash", [join(ROOT, "hack", "install", "promtool.sh")], { encoding: "utf8" }).trim();
  const run = (...args: string[]) =>
    spawnSync(promtool, args, { encoding: "utf8", cwd: join(ROOT, "cluster", "observability") });

  it("are valid rules", () => {
    const result = run("check", "rules", RULES);
    expect(result.stdout + result.stderr).toMatch(/SUCCESS: 5 rules found/);
    expect(result.status).toBe(0);
  });

  it("fire on what they are for and not on its look-alikes (promtool test rules)", () => {
    const result = run("test", "rules", RULE_TESTS);
    expect(result.stdout + result.stderr).toMatch(/SUCCESS/);
    expect(result.status).toBe(0);
  });

  it("would catch a rule that no longer fires on its situation", () => {
    const weakened = brokenCopy(
      RULES,
      (text) => text.replace("record_seconds) > 120", "record_seconds) > 1200"),
      "alert-rules.yaml",
    );
    copyFileSync(RULE_TESTS, join(dirname(weakened), "alert-rules.test.yaml"));
    const result = spawnSync(promtool, ["test", "rules", "alert-rules.test.yaml"], {
      encoding: "utf8",
      cwd: dirname(weakened),
    });
    expect(result.stdout + result.stderr).toMatch(/PartitionStalled/);
    expect(result.status).not.toBe(0);
  });
});
