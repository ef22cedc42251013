import { describe, expect, it } from "vitest";
import { z } from "zod";
import { databaseUrl, httpEndpoint, milliseconds, parseSettings, secret, secretList } from "../src/index.ts";

const schemaFor = (devMode: boolean) =>
  z.object({
    DAPR_HTTP_ENDPOINT: httpEndpoint(devMode, "http://127.0.0.1:3500"),
    DAPR_API_TOKEN: secret(devMode),
    PUBLISH_API_TOKENS: secretList(devMode),
    DATABASE_URL: databaseUrl(devMode),
    SHUTDOWN_DRAIN_MS: milliseconds(10_000),
  });
const good = {
  DAPR_HTTP_ENDPOINT: "http://publish-task-event-dapr.todo.svc.cluster.local:3500",
  DAPR_API_TOKEN: "0123456789abcdef0123",
  PUBLISH_API_TOKENS: "client-token-0123456789, second-token-0123456789",
  DATABASE_URL: "postgresql://todo:pw@postgres:5432/todo",
};

describe("parseSettings", () => {
  it("parses the environment once into typed settings", () => {
    expect(parseSettings(schemaFor, { ...good, UNRELATED: "x" })).toEqual({
      ok: true,
      settings: {
        ...good,
        PUBLISH_API_TOKENS: ["client-token-0123456789", "second-token-0123456789"],
        SHUTDOWN_DRAIN_MS: 10_000,
        localDevMode: false,
      },
    });
  });

  it("names every missing or malformed setting, never its value", () => {
    const result = parseSettings(schemaFor, { DAPR_HTTP_ENDPOINT: "ftp://x", DAPR_API_TOKEN: "short-secret" });
    expect(result).toEqual({
      ok: false,
      problems: [
        "DAPR_HTTP_ENDPOINT: must be an http(s) URL",
        "DAPR_API_TOKEN: must be a secret of at least 16 characters",
        "PUBLISH_API_TOKENS: required",
        "DATABASE_URL: required",
      ],
    });
    expect(JSON.stringify(result)).not.toContain("short-secret");
  });

  it("refuses a secret with spaces, and an empty entry in a list of secrets", () => {
    const result = parseSettings(schemaFor, {
      ...good,
      DAPR_API_TOKEN: "a secret with spaces",
      PUBLISH_API_TOKENS: "client-token-0123456789,",
    });
    expect(result.ok ? [] : result.problems.map((p) => p.split(":")[0])).toEqual([
      "DAPR_API_TOKEN",
      "PUBLISH_API_TOKENS.1",
    ]);
  });

  it("lets secrets be absent, and endpoints default, only in the explicit local-development mode", () => {
    expect(parseSettings(schemaFor, { TODO_INSECURE_LOCAL_DEV: "true" })).toMatchObject({
      ok: true,
      settings: {
        DAPR_HTTP_ENDPOINT: "http://127.0.0.1:3500",
        DATABASE_URL: "postgresql://todo@127.0.0.1:55432/todo",
        localDevMode: true,
      },
    });
    expect(parseSettings(schemaFor, { TODO_INSECURE_LOCAL_DEV: "1" }).ok).toBe(false);
  });
});
