import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The project's version pins (hack/versions.env), as the scripts read them. */
export const versions: ReadonlyMap<string, string> = new Map(
  readFileSync(join(import.meta.dirname, "..", "..", "hack", "versions.env"), "utf8")
    .split("\n")
    .flatMap((line): [string, string][] => {
      const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
      return match ? [[match[1]!, match[2]!]] : [];
    }),
);

export function pin(name: string): string {
  const value = versions.get(name);
  if (value === undefined) throw new Error(`no ${name} in hack/versions.env`);
  return value;
}
