// Writes the JSON Schemas and the AsyncAPI document derived from the zod contracts.
// A unit test fails when the committed files differ from what this would write.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { renderArtifacts } from "../src/artifacts.ts";

const packageDir = join(import.meta.dirname, "..");
for (const [path, content] of Object.entries(renderArtifacts())) {
  mkdirSync(dirname(join(packageDir, path)), { recursive: true });
  writeFileSync(join(packageDir, path), content);
  console.log(`wrote packages/shared/${path}`);
}
