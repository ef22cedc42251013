import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["packages/*/test/**/*.test.ts", "functions/*/test/**/*.test.ts"],
        },
      },
      {
        // Cluster manifests checked by the upstream projects' own validation code and schemas.
        test: { name: "manifests", include: ["tests/manifests/**/*.test.ts"], testTimeout: 600_000 },
      },
      {
        // Talks to the real local stack (scripts/stack.sh up); one file at a time because the
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
