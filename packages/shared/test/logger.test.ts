import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const LOGGER = join(import.meta.dirname, "..", "src", "logger.ts");

/** Runs a process that logs, then dies at once by SIGKILL (as an OOMKill does): what reached stdout. */
function linesBeforeSigkill(script: string): string[] {
  const code = `import { createLogger } from ${JSON.stringify(LOGGER)};
    const log = createLogger("probe", "info");
    ${script}
    process.kill(process.pid, "SIGKILL");`;
  const child = spawnSync(process.execPath, ["--input-type=module", "-e", code], { encoding: "utf8" });
  expect(child.signal).toBe("SIGKILL");
  return child.stdout.split("\n").filter(Boolean);
}

describe("createLogger", () => {
  it("writes a warning at once, with the info lines before it: they survive a kill that gives no exit handler a chance", () => {
    const lines = linesBeforeSigkill(`for (let i = 0; i < 5; i++) log.info({ i }, "working");
      log.warn({ i: 5 }, "about to be killed");`);
    expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual([
      ...Array<string>(5).fill("working"),
      "about to be killed",
    ]);
  });

  it("buffers info lines (one write per batch, not per line): a kill right after them may lose them", () => {
    expect(linesBeforeSigkill(`log.info("buffered");`)).toEqual([]);
  });
});
