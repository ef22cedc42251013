import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderArtifacts } from "../scripts/artifacts.ts";

describe("generated contract artifacts", () => {
  it.each(Object.entries(renderArtifacts()))("%s is committed and up to date (npm run generate)", (path, content) => {
    expect(readFileSync(join(import.meta.dirname, "..", "..", "..", path), "utf8")).toBe(content);
  });
});
