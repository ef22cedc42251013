#!/usr/bin/env node
// Bundles the function in the current directory (src/index.ts) with the shared package into
// build/index.js, so that the directory deploys on its own: `func` builds one directory as its
// whole context and knows nothing of the workspace. Only the runtime stays external.
// The bench also bundles a variant elsewhere: --outdir <dir> --alias <package>=<file> (a package
// replaced by another implementation of it).
import { execFileSync } from "node:child_process";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { build } from "esbuild";

const { values: options } = parseArgs({
  options: { outdir: { type: "string", default: "build" }, alias: { type: "string", multiple: true, default: [] } },
});

await build({
  entryPoints: ["src/index.ts"],
  outfile: join(options.outdir, "index.js"),
  alias: Object.fromEntries(options.alias.map((pair) => pair.split("="))),
  bundle: true,
  platform: "node",
  target: "node24",
  format: "esm",
  sourcemap: "linked",
  // Less to compile at a cold start; the source map keeps stack traces readable.
  minify: true,
  external: ["faas-js-runtime"],
  // Bundled CommonJS dependencies (pino) still call require() for Node built-ins.
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: "warning",
});

// Warm the compile cache here too, so that the local stack starts as the image does.
const warm = join(options.outdir, "warm-compile-cache.mjs");
copyFileSync(new URL("warm-compile-cache.mjs", import.meta.url), warm);
execFileSync(process.execPath, [warm], { stdio: "inherit" });
