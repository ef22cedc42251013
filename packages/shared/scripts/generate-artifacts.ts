// Writes the files derived from the zod contracts (packages/shared/scripts/artifacts.ts).
// A unit test fails when a committed file differs from what this would write.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { renderArtifacts } from "./artifacts.ts";

const root = join(import.meta.dirname, "..", "..", "..");
for (const [path, content] of Object.entries(renderArtifacts())) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
  console.log(`wrote ${path}`);
}
