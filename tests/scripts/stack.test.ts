import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, appendFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

/**
 * The local stack from a checkout anywhere, and never on a stale build. Each test runs its own
 * small stack (its own STACK_DIR, ports 4200 up) beside whatever else runs on the machine.
 */
const ROOT = join(import.meta.dirname, "..", "..");
const started: { root: string; env: NodeJS.ProcessEnv }[] = [];

function stackSh(root: string, env: NodeJS.ProcessEnv, ...args: string[]) {
  const result = spawnSync("bash", [join(root, "hack", "stack.sh"), ...args], {
    encoding: "utf8",
    env,
    timeout: 120_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

afterAll(() => {
  for (const { root, env } of started) stackSh(root, env, "reset");
});

describe("hack/stack.sh", () => {
  it("starts PostgreSQL for a stack inside a private (0700) folder, as root's home and mktemp -d are", () => {
    const OFFSET = 4200; // PostgreSQL listens on 55432 + the offset (hack/stack-ports.sh)
    const privateFolder = mkdtempSync(join(tmpdir(), "private-")); // mode 0700
    chmodSync(privateFolder, 0o700);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      STACK_DIR: join(privateFolder, "checkout", ".stack"),
      STACK_PORT_OFFSET: String(OFFSET),
    };
    delete env["DATABASE_URL"];
    started.push({ root: ROOT, env });
    const up = stackSh(ROOT, env, "start", "postgres");
    expect(up.status, up.output).toBe(0);
    const psql = spawnSync(
      "psql",
      ["-h", "127.0.0.1", "-p", String(55432 + OFFSET), "-U", "todo", "-d", "todo", "-tAc", "SELECT 1"],
      {
        encoding: "utf8",
      },
    );
    expect(psql.stdout.trim()).toBe("1");
    expect(stackSh(ROOT, env, "stop", "postgres").status).toBe(0);
  });

  it("refuses to start a process whose port another process holds, instead of taking its answers for ours", async () => {
    const stranger = createServer();
    await new Promise<void>((resolve) => stranger.listen(19092 + 4400, "127.0.0.1", resolve));
    try {
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        STACK_DIR: mkdtempSync(join(tmpdir(), "stack-")),
        STACK_PORT_OFFSET: "4400",
      };
      const result = stackSh(ROOT, env, "start", "kafka");
      expect(result.status).not.toBe(0);
      expect(result.output).toContain("kafka: port 23492 is in use by another process");
    } finally {
      stranger.close();
    }
  });

  it("restarts a running function whose bundle changed, so that nothing is tested on a stale build", () => {
    // A copy of the project's layout whose bundle can change without touching the real one.
    const root = mkdtempSync(join(tmpdir(), "checkout-"));
    symlinkSync(join(ROOT, "scripts"), join(root, "scripts"));
    symlinkSync(join(ROOT, "hack"), join(root, "hack"));
    symlinkSync(join(ROOT, "node_modules"), join(root, "node_modules"));
    const fn = join(root, "functions", "publish-task-event");
    mkdirSync(join(fn, "build"), { recursive: true });
    cpSync(join(ROOT, "functions", "publish-task-event", "package.json"), join(fn, "package.json"));
    cpSync(join(ROOT, "functions", "publish-task-event", "build", "index.js"), join(fn, "build", "index.js"));
    const env = { ...process.env, STACK_DIR: join(root, ".stack"), STACK_PORT_OFFSET: "4300" };
    started.push({ root, env });
    const pid = () => readFileSync(join(root, ".stack", "run", "publish-task-event.pid"), "utf8").trim();

    expect(stackSh(root, env, "start", "publish-task-event").status).toBe(0);
    const first = pid();
    expect(stackSh(root, env, "start", "publish-task-event").status).toBe(0);
    expect(pid(), "an unchanged bundle keeps its process").toBe(first);

    appendFileSync(join(fn, "build", "index.js"), "\n// rebuilt\n");
    const again = stackSh(root, env, "start", "publish-task-event");
    expect(again.status, again.output).toBe(0);
    expect(again.output).toContain("its bundle changed since it started; restarting it");
    expect(pid()).not.toBe(first);
  });
});
