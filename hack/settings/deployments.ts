/**
 * Where each function's settings are set, read as a deployment gives them: func.yaml's run.envs,
 * the Knative Service in knative/, the local stack (hack/stack.sh function-env). Secrets are
 * references there; they are read here as placeholder secrets of the right form.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { z } from "zod";
import { RUNTIME_VARIABLES, reminderTimingSettings, type SettingsSchema } from "@todo/shared";
import { settingsSchema as publishSettings } from "../../functions/publish-task-event/src/settings.ts";
import { settingsSchema as scheduleSettings } from "../../functions/schedule-reminder/src/settings.ts";
import { settingsSchema as emitSettings } from "../../functions/emit-reminder/src/settings.ts";

export const ROOT = join(import.meta.dirname, "..", "..");
const readYaml = (path: string): unknown => parse(readFileSync(path, "utf8"));

export const FUNCTIONS = ["publish-task-event", "schedule-reminder", "emit-reminder"] as const;
export type FunctionName = (typeof FUNCTIONS)[number];
export const SCHEMAS: Record<FunctionName, (devMode: boolean) => SettingsSchema> = {
  "publish-task-event": publishSettings,
  "schedule-reminder": scheduleSettings,
  "emit-reminder": emitSettings,
};

/** A variable as a deployment sets it: a value, or a reference to a secret. */
export type Setting = { readonly value: string } | { readonly secret: string };
export type Environment = Record<string, Setting>;

export function funcYamlEnvironment(path: string): Environment {
  const func = readYaml(path) as { run?: { envs?: { name: string; value: string }[] } };
  return Object.fromEntries(
    (func.run?.envs ?? []).map(({ name, value }) => {
      const secret = /^\{\{\s*secret:([^:}\s]+):([^}\s]+)\s*\}\}$/.exec(value);
      return [name, secret ? { secret: `${secret[1]}/${secret[2]}` } : { value }];
    }),
  );
}

interface ServiceEnv {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef: { name: string; key: string } };
}
export function knativeEnvironment(path: string): Environment {
  const service = readYaml(path) as { spec: { template: { spec: { containers: { env?: ServiceEnv[] }[] } } } };
  return Object.fromEntries(
    (service.spec.template.spec.containers[0]?.env ?? []).map(({ name, value, valueFrom }) => [
      name,
      valueFrom ? { secret: `${valueFrom.secretKeyRef.name}/${valueFrom.secretKeyRef.key}` } : { value: value ?? "" },
    ]),
  );
}

/** What hack/stack.sh gives the function, run with an empty environment and a scratch stack. */
export function localStackEnvironment(fn: FunctionName): Environment {
  const stackDir = mkdtempSync(join(tmpdir(), "settings-stack-"));
  const base = { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "/root", STACK_DIR: stackDir };
  const output = execFileSync(join(ROOT, "hack", "stack.sh"), ["function-env", fn], {
    encoding: "utf8",
    env: base,
  });
  const shell = new Set(["PATH", "HOME", "PWD", "OLDPWD", "SHLVL", "_", "STACK_DIR"]);
  return Object.fromEntries(
    output
      .split("\n")
      .filter((line) => line.includes("="))
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)] as const)
      .filter(([name]) => !shell.has(name))
      .map(([name, value]) => [name, { value }]),
  );
}

const PLACEHOLDER_SECRET = "placeholder-secret-0123456789";
const PLACEHOLDER_DATABASE = "postgresql://todo:secret@postgres.todo.svc.cluster.local:5432/todo";

/** Parses an environment with the function's schema (secrets as placeholders): the settings, or the problems. */
export function parseEnvironment(fn: FunctionName, environment: Environment) {
  const env = Object.fromEntries(
    Object.entries(environment).map(([name, setting]) => [
      name,
      "value" in setting ? setting.value : name === "DATABASE_URL" ? PLACEHOLDER_DATABASE : PLACEHOLDER_SECRET,
    ]),
  );
  return SCHEMAS[fn](false).safeParse(env);
}

/**
 * Everything wrong with one deployment of the three functions: a variable no function or runtime
 * reads (a setting that drifted), a value its schema refuses, a contradiction in one function's
 * timing, and reminder timing that differs between the two functions that must agree on it.
 */
export function deploymentProblems(deployment: Record<FunctionName, Environment>): string[] {
  const problems: string[] = [];
  const timing: Partial<Record<FunctionName, unknown>> = {};
  for (const fn of FUNCTIONS) {
    const known = new Set([...Object.keys(SCHEMAS[fn](false).shape), ...Object.keys(RUNTIME_VARIABLES)]);
    for (const name of Object.keys(deployment[fn])) {
      if (!known.has(name)) problems.push(`${fn}: ${name} is set, but ${fn} has no such setting`);
    }
    const parsed = parseEnvironment(fn, deployment[fn]);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push(`${fn}: ${issue.path.join(".")}: ${issue.message}`);
    } else if (fn !== "publish-task-event") {
      timing[fn] = z.object(reminderTimingSettings).parse(parsed.data);
    }
  }
  const [scheduling, emitting] = [timing["schedule-reminder"], timing["emit-reminder"]];
  if (scheduling && emitting && JSON.stringify(scheduling) !== JSON.stringify(emitting)) {
    problems.push(
      `reminder timing differs: schedule-reminder ${JSON.stringify(scheduling)}, emit-reminder ${JSON.stringify(emitting)}`,
    );
  }
  return problems;
}
