#!/usr/bin/env node
// What a function's func.yaml says about how it runs, for the local stack: the same settings as in
// the cluster (one source of truth). Prints `NAME=value` for every plain environment variable of
// run.envs (secrets - {{ secret:... }} - and the cluster's addresses are the stack's own), or with
// --memory-limit-mb, the memory limit of deploy.options.resources in MB.
//   node scripts/function-settings.mjs <function> [--memory-limit-mb]
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

const [fn, option] = process.argv.slice(2);
const func = parse(readFileSync(join(import.meta.dirname, "..", "functions", fn, "func.yaml"), "utf8"));
if (option === "--memory-limit-mb") {
  const limit = String(func.deploy?.options?.resources?.limits?.memory ?? "");
  const match = /^(\d+)(Mi|Gi)$/.exec(limit);
  if (!match) throw new Error(`${fn}/func.yaml: no memory limit in Mi or Gi (got "${limit}")`);
  console.log(Number(match[1]) * (match[2] === "Gi" ? 1024 : 1));
} else {
  for (const { name, value } of func.run?.envs ?? []) {
    const plain = typeof value === "string" && !value.includes("{{") && !/^https?:\/\//.test(value);
    if (plain) console.log(`${name}=${value}`);
  }
}
