#!/usr/bin/env node
// Bundles the function in the current directory (src/index.ts) with the shared package into
// build/index.js, so that the directory deploys on its own: `func` builds one directory as its
// whole context and knows nothing of the workspace. Only the runtime stays external.
// The bench also bundles a variant elsewhere: --outdir <dir> --alias <package>=<file> (a package
// replaced by another implementation of it).
// --with-migrations (schedule-reminder): also scripts/db-migrate.mjs, bundled with its database
// client, and prisma/migrations beside it, so the cluster's migration Job runs from this image
// (cluster/migrate-job.yaml).
import { execFileSync } from "node:child_process";
import { copyFileSync, cpSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { build } from "esbuild";

const { values: options } = parseArgs({
  options: {
    outdir: { type: "string", default: "build" },
    alias: { type: "string", multiple: true, default: [] },
    "with-migrations": { type: "boolean", default: false },
  },
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
  // Less to compile at a cold start. The linked source map is for debugging a local run; the images
  // leave it out (hack/cluster/images.sh), so a stack trace there names the bundle's lines.
  minify: true,
  external: ["faas-js-runtime"],
  // Bundled CommonJS dependencies (pino) still call require() for Node built-ins.
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: "warning",
});

if (options["with-migrations"]) {
  await build({
    entryPoints: [new URL("db-migrate.mjs", import.meta.url).pathname],
    outfile: join(options.outdir, "db-migrate.mjs"),
    bundle: true,
    platform: "node",
    target: "node24",
    format: "esm",
    // pg's optional native binding is never loaded (only on NODE_PG_FORCE_NATIVE or pg.native).
    external: ["pg-native"],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: "warning",
  });
  const migrations = join(options.outdir, "migrations");
  rmSync(migrations, { recursive: true, force: true });
  cpSync(new URL("../prisma/migrations", import.meta.url).pathname, migrations, { recursive: true });
}

// Warm the compile cache here too, so that the local stack starts as the image does.
const warm = join(options.outdir, "warm-compile-cache.mjs");
copyFileSync(new URL("warm-compile-cache.mjs", import.meta.url), warm);
execFileSync(process.execPath, [warm], { stdio: "inherit" });
