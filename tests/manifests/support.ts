import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, parseAllDocuments } from "yaml";
import { pin } from "../support/versions.ts";

export const ROOT = join(import.meta.dirname, "..", "..");
export const DAPR_VERSION = pin("DAPR_VERSION");

const install = (script: string, ...args: string[]) =>
  execFileSync("bash", [join(ROOT, "hack", "install", script), ...args], { encoding: "utf8" }).trim();

let manifestCheckBinary: string | undefined;
/** Runs hack/manifest-check (Knative's and func's own validation) and returns its verdict lines. */
export function manifestCheck(kind: "ksvc" | "func" | "func-ksvc" | "autoscaler", ...paths: string[]) {
  manifestCheckBinary ??= install("manifest-check.sh");
  const result = spawnSync(manifestCheckBinary, [kind, ...paths], { encoding: "utf8" });
  return { ok: result.status === 0, output: result.stdout + result.stderr };
}

/** The func release hack/manifest-check is built on (its go.mod pins the same version). */
export const FUNC_MODULE = `knative.dev/func@${pin("FUNC_VERSION")}`;

/** A Go module's files from the module proxy: the Dapr release's CRDs and chart, func's schema. */
export const goModule = (module: string) => install("go-module.sh", module);
export const daprRelease = () => goModule(`github.com/dapr/dapr@v${DAPR_VERSION}`);

export const readYaml = (path: string): unknown => parse(readFileSync(path, "utf8"));
export const readYamlDocuments = (path: string): unknown[] =>
  parseAllDocuments(readFileSync(path, "utf8")).map((doc) => doc.toJS() as unknown);

/** A scratch copy of `path` with `edit` applied, to prove a check fails on a broken manifest. */
export function brokenCopy(path: string, edit: (text: string) => string, name = "broken.yaml"): string {
  const dir = mkdtempSync(join(tmpdir(), "manifest-"));
  const target = join(dir, name);
  copyFileSync(path, target);
  const edited = edit(readFileSync(target, "utf8"));
  if (edited === readFileSync(path, "utf8")) throw new Error(`the edit did not change ${path}`);
  writeFileSync(target, edited);
  return target;
}
