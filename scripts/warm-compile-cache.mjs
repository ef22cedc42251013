// Copied into each function's build/ by bundle-function.mjs and run where the function will run
// (`npm run warm-compile-cache`: by the bundler, and by the image build). It starts the function
// once on a free port and stops it, so that Node's compile cache in .compile-cache (portable: its
// paths are relative to it) holds the compiled runtime and bundle. The function runs with
// NODE_COMPILE_CACHE=.compile-cache (func.yaml): a cold start then skips compiling them.
import { rmSync } from "node:fs";
import { createRequire, enableCompileCache } from "node:module";
import { join } from "node:path";

const cache = join(import.meta.dirname, "..", ".compile-cache");
rmSync(cache, { recursive: true, force: true }); // entries of older bundles
enableCompileCache({ directory: cache, portable: true });
// No secrets exist at build time; the code compiled is the same.
process.env["TODO_INSECURE_LOCAL_DEV"] = "true";
process.env["LOG_LEVEL"] = "silent";
const runtime = createRequire(import.meta.url)("faas-js-runtime");
const { handle } = await import("./index.js");
// The handler alone: the function's init would reach for its sidecar.
const server = await runtime.start({ handle }, { port: 0, logLevel: "silent" });
await new Promise((resolve) => server.close(resolve));
process.exit(0); // the cache is written at exit
