import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["packages/*/test/**/*.test.ts", "functions/*/test/**/*.test.ts", "tests/support/**/*.test.ts"],
        },
      },
      {
        // The install scripts and the stack script, run as a newcomer would: stand-in tools on
        // PATH, empty caches, a stack in a private folder.
        test: { name: "scripts", include: ["tests/scripts/**/*.test.ts"], testTimeout: 180_000 },
      },
      {
        // Cluster manifests checked by the upstream projects' own validation code and schemas.
        test: { name: "manifests", include: ["tests/manifests/**/*.test.ts"], testTimeout: 600_000 },
      },
      {
        // The backbone on the live local cluster (npm run cluster:up, then npm run cluster:test).
        test: {
          name: "cluster",
          include: ["tests/cluster/**/*.test.ts"],
          fileParallelism: false,
          testTimeout: 1_800_000,
          hookTimeout: 600_000,
        },
      },
      {
        // Talks to the real local stack (hack/stack.sh up); one file at a time because the
        // fault tests stop and start shared processes.
        test: {
          name: "integration",
          include: ["tests/integration/**/*.test.ts"],
          globalSetup: ["tests/support/global-setup.ts"],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
