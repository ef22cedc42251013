import { z } from "zod";

/**
 * A function's settings are its environment, parsed once at start with zod. Each setting is
 * defined once, in its function's `src/settings.ts`, with its default and what it means (the
 * `.describe()` text): docs/configuration.md is generated from those definitions, and a test
 * checks every place that sets one (func.yaml, the Knative Services, the local stack) against them.
 * Missing, malformed or contradicting settings stop the process with a message naming each one
 * (never its value): a function that cannot check who calls it must not start. The one exception
 * is the explicit local-development mode, where the secrets may be left out and the checks are off.
 */
export const LOCAL_DEV_MODE_VARIABLE = "TODO_INSECURE_LOCAL_DEV";
/** Exit status of a process refused for its settings (EX_CONFIG). */
export const EXIT_BAD_SETTINGS = 78;

export const isLocalDevMode = (env: NodeJS.ProcessEnv): boolean => env[LOCAL_DEV_MODE_VARIABLE] === "true";

const Secret = z
  .string()
  .min(16, { message: "must be a secret of at least 16 characters" })
  .regex(/^[\x21-\x7e]*$/, { message: "must be printable ASCII without spaces" });

/** A secret this function needs; optional only in local-development mode. */
export const secret = (devMode: boolean) => (devMode ? Secret.optional() : Secret);

/** Several secrets, comma-separated (to rotate: add the new one, move clients, drop the old). */
export const secretList = (devMode: boolean) => {
  const list = z
    .string()
    .transform((value) => value.split(",").map((item) => item.trim()))
    .pipe(z.array(Secret).min(1));
  return devMode ? list.optional() : list;
};

/** An http(s) URL; a default only in local-development mode (Dapr's own default port). */
export const httpEndpoint = (devMode: boolean, localDefault: string) => {
  const url = z.url({ protocol: /^https?$/, message: "must be an http(s) URL" });
  return devMode ? url.default(localDefault) : url;
};

/** A PostgreSQL connection URL; the local stack's database only in local-development mode. */
export const databaseUrl = (devMode: boolean) => {
  const url = z.string().regex(/^postgres(ql)?:\/\/\S+$/, { message: "must be a postgresql:// URL" });
  return devMode ? url.default("postgresql://todo@127.0.0.1:55432/todo") : url;
};

export const milliseconds = (fallback: number) => z.coerce.number().int().min(0).default(fallback);
export const positiveCount = (fallback: number) => z.coerce.number().int().min(1).default(fallback);
export const name = (fallback: string) => z.string().min(1).default(fallback);

/** The function's own daprd, and the Dapr API token that daprd requires of it. */
export const sidecarSettings = (devMode: boolean) => ({
  DAPR_HTTP_ENDPOINT: httpEndpoint(devMode, "http://127.0.0.1:3500").describe(
    "the function's own daprd (Dapr Shared in the cluster: http://<function>-dapr.<namespace>.svc.cluster.local:3500)",
  ),
  DAPR_API_TOKEN: secret(devMode).describe("the Dapr API token its daprd requires (secret)"),
});

/**
 * A function Dapr calls (deliveries, job triggers) that keeps reminders: its own daprd, the token
 * that daprd sends it, and the reminders' database.
 */
export const reminderFunctionSettings = (devMode: boolean) => ({
  ...sidecarSettings(devMode),
  APP_API_TOKEN: secret(devMode).describe(
    "what its daprd sends in dapr-api-token: anything without it did not come from its daprd (secret)",
  ),
  DATABASE_URL: databaseUrl(devMode).describe("the reminders' PostgreSQL database (secret)"),
});

/** Every function drains on SIGTERM (lifecycle.ts). */
export const lifecycleSettings = {
  SHUTDOWN_DRAIN_MS: milliseconds(10_000).describe(
    "on SIGTERM, how long work in flight may take to finish while new work is refused (keep under Knative's timeoutSeconds)",
  ),
};

/** Every function logs JSON lines on stdout (logger.ts). */
export const loggingSettings = {
  LOG_LEVEL: z
    .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
    .default("info")
    .describe("the least severe log level written"),
};

/** What every function's settings schema is: a zod object, possibly with cross-setting checks. */
export type SettingsSchema = z.ZodObject;
export type ParsedSettings<S extends SettingsSchema> = z.infer<S> & { readonly localDevMode: boolean };

/** Pure: the settings, or one line per bad or contradicting variable. */
export function parseSettings<S extends SettingsSchema>(
  schemaFor: (devMode: boolean) => S,
  env: NodeJS.ProcessEnv,
): { ok: true; settings: ParsedSettings<S> } | { ok: false; problems: string[] } {
  const localDevMode = isLocalDevMode(env);
  const parsed = schemaFor(localDevMode).safeParse(env);
  if (parsed.success) return { ok: true, settings: { ...parsed.data, localDevMode } };
  return {
    ok: false,
    problems: parsed.error.issues.map((issue) => {
      const variable = issue.path.map(String).join(".");
      return issue.code === "invalid_type" && issue.input === undefined
        ? `${variable}: required`
        : `${variable}: ${issue.message}`;
    }),
  };
}

/** Parses the environment once, at start; bad or contradicting settings end the process (exit 78). */
export function loadSettings<S extends SettingsSchema>(
  service: string,
  schemaFor: (devMode: boolean) => S,
  env: NodeJS.ProcessEnv = process.env,
): ParsedSettings<S> {
  const result = parseSettings(schemaFor, env);
  if (result.ok) return result.settings;
  process.stderr.write(
    `${service}: refusing to start, its settings are invalid:\n` +
      result.problems.map((problem) => `  ${problem}\n`).join("") +
      `(for local development without secrets only: ${LOCAL_DEV_MODE_VARIABLE}=true)\n`,
  );
  process.exit(EXIT_BAD_SETTINGS);
}

/**
 * Variables that the runtime under our code reads (Node.js, faas-js-runtime), set beside the
 * settings in func.yaml; listed so that every variable a deployment sets is a known one.
 */
export const RUNTIME_VARIABLES: Readonly<Record<string, string>> = {
  NODE_ENV: "Node.js: production in every deployment",
  NODE_OPTIONS: "Node.js: V8 heap sizes for the function's memory limit (func.yaml)",
  NODE_COMPILE_CACHE: "Node.js: the compile cache warmed into the image at build (func.yaml)",
  NODE_COMPILE_CACHE_PORTABLE: "Node.js: the compile cache is found wherever the image puts the function",
  FUNC_BODY_LIMIT: "faas-js-runtime: the largest request body, in bytes",
  FUNC_PORT: "faas-js-runtime: the port it listens on (8080 in a Knative pod; the local stack's own)",
  FUNC_LOG_LEVEL: "faas-js-runtime: the level of its own log lines",
  [LOCAL_DEV_MODE_VARIABLE]: "true only for local development without secrets: calls are not authenticated",
};
