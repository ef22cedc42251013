import { z } from "zod";

/**
 * A function's configuration is its environment, parsed once at start with zod. Missing or
 * malformed settings stop the process with a message naming each one (never its value): a
 * function that cannot check who calls it must not start. The one exception is the explicit
 * local-development mode, where the secrets may be left out and the checks are off.
 */
export const LOCAL_DEV_MODE_VARIABLE = "TODO_INSECURE_LOCAL_DEV";
/** Exit status of a process refused for its configuration (EX_CONFIG). */
export const EXIT_BAD_CONFIG = 78;

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

/** The function's own daprd, and the Dapr API token that daprd requires of it. */
export const sidecarSettings = (devMode: boolean) => ({
  DAPR_HTTP_ENDPOINT: httpEndpoint(devMode, "http://127.0.0.1:3500"),
  DAPR_API_TOKEN: secret(devMode),
});

export const milliseconds = (fallback: number) => z.coerce.number().int().min(0).default(fallback);

export type ConfigSchema = z.ZodObject;
export type ParsedConfig<S extends ConfigSchema> = z.infer<S> & { readonly localDevMode: boolean };

/** Pure: the configuration, or one line per bad variable. */
export function parseConfig<S extends ConfigSchema>(
  schemaFor: (devMode: boolean) => S,
  env: NodeJS.ProcessEnv,
): { ok: true; config: ParsedConfig<S> } | { ok: false; problems: string[] } {
  const localDevMode = isLocalDevMode(env);
  const parsed = schemaFor(localDevMode).safeParse(env);
  if (parsed.success) return { ok: true, config: { ...parsed.data, localDevMode } };
  return {
    ok: false,
    problems: parsed.error.issues.map((issue) => {
      const name = issue.path.map(String).join(".");
      return issue.code === "invalid_type" && issue.input === undefined
        ? `${name}: required`
        : `${name}: ${issue.message}`;
    }),
  };
}

/** Parses the environment once, at start; a bad configuration ends the process (exit 78). */
export function loadConfig<S extends ConfigSchema>(
  service: string,
  schemaFor: (devMode: boolean) => S,
  env: NodeJS.ProcessEnv = process.env,
): ParsedConfig<S> {
  const result = parseConfig(schemaFor, env);
  if (result.ok) return result.config;
  process.stderr.write(
    `${service}: refusing to start, its configuration is invalid:\n` +
      result.problems.map((problem) => `  ${problem}\n`).join("") +
      `(for local development without secrets only: ${LOCAL_DEV_MODE_VARIABLE}=true)\n`,
  );
  process.exit(EXIT_BAD_CONFIG);
}
