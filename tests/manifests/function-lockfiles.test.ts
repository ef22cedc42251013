import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./support.ts";

interface Lockfile {
  readonly packages: Readonly<
    Record<string, { readonly version?: string; readonly dependencies?: Record<string, string> }>
  >;
}
const readJson = (...path: string[]): unknown => JSON.parse(readFileSync(join(ROOT, ...path), "utf8"));
const FUNCTIONS = ["publish-task-event", "schedule-reminder", "emit-reminder"];
/** The runtime and what library-patches.ts reaches into (its CloudEvents SDK copy, its prom-client). */
const RUNTIME_PACKAGES = ["faas-js-runtime", "cloudevents", "prom-client", "fastify"];

/** The version Node would load for `name` required from faas-js-runtime, in a lockfile's tree. */
function fromRuntime(lock: Lockfile, name: string): string | undefined {
  if (name === "faas-js-runtime") return lock.packages["node_modules/faas-js-runtime"]?.version;
  return (
    lock.packages[`node_modules/faas-js-runtime/node_modules/${name}`]?.version ??
    lock.packages[`node_modules/${name}`]?.version
  );
}

/**
 * func builds each function from its own folder: `npm ci` with the folder's lockfile. The runtime
 * is pinned exactly, and the runtime the images get is the one the tests (and the patches' checks)
 * ran against in the workspace, so a release of faas-js-runtime cannot reach an image unnoticed.
 */
describe("each function folder's lockfile", () => {
  const workspace = readJson("package-lock.json") as Lockfile;
  it.each(FUNCTIONS)("%s pins faas-js-runtime exactly and locks the runtime the tests ran against", (fn) => {
    const manifest = readJson("functions", fn, "package.json") as { dependencies: Record<string, string> };
    expect(manifest.dependencies["faas-js-runtime"]).toMatch(/^\d+\.\d+\.\d+$/);
    const lock = readJson("functions", fn, "package-lock.json") as Lockfile;
    expect(lock.packages[""]?.dependencies).toEqual(manifest.dependencies);
    for (const name of RUNTIME_PACKAGES) {
      expect({ name, version: fromRuntime(lock, name) }).toEqual({ name, version: fromRuntime(workspace, name) });
    }
    expect(fromRuntime(lock, "faas-js-runtime")).toBe(manifest.dependencies["faas-js-runtime"]);
  });
});
