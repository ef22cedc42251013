import { describe, expect, it } from "vitest";
import { refuseUnlessBearer, refuseUnlessFromSidecar, secretMatches } from "../src/index.ts";

describe("secretMatches", () => {
  it("matches only an accepted secret, whatever the lengths", () => {
    expect(secretMatches("s3cret-0123456789", ["other-0123456789", "s3cret-0123456789"])).toBe(true);
    for (const wrong of [undefined, "", "s3cret", "s3cret-0123456789x", "S3CRET-0123456789"]) {
      expect(secretMatches(wrong, ["s3cret-0123456789"])).toBe(false);
    }
    expect(secretMatches("", [""])).toBe(true);
    expect(secretMatches(undefined, [""])).toBe(false);
  });
});

describe("refuseUnlessFromSidecar", () => {
  it("lets everything through only when no app token is configured (local-development mode)", () => {
    expect(refuseUnlessFromSidecar({}, undefined)).toBeUndefined();
  });

  it("answers 401 without the sidecar's token, and lets the sidecar through", () => {
    expect(refuseUnlessFromSidecar({}, "s3cret-0123456789")?.statusCode).toBe(401);
    expect(refuseUnlessFromSidecar({ "dapr-api-token": "wrong" }, "s3cret-0123456789")?.statusCode).toBe(401);
    expect(refuseUnlessFromSidecar({ "dapr-api-token": "s3cret-0123456789" }, "s3cret-0123456789")).toBeUndefined();
  });
});

describe("refuseUnlessBearer", () => {
  const tokens = ["client-a-0123456789", "client-b-0123456789"];
  it("accepts any of the configured bearer tokens", () => {
    expect(refuseUnlessBearer({ authorization: "Bearer client-b-0123456789" }, tokens, "fn")).toBeUndefined();
    expect(refuseUnlessBearer({ authorization: "bearer client-a-0123456789" }, tokens, "fn")).toBeUndefined();
  });

  it("accepts the token as the CloudEvent extension authtoken (what func invoke -e can send)", () => {
    expect(refuseUnlessBearer({ "ce-authtoken": "client-a-0123456789" }, tokens, "fn")).toBeUndefined();
    expect(refuseUnlessBearer({ "ce-authtoken": "client-c-0123456789" }, tokens, "fn")?.statusCode).toBe(401);
    // A wrong Authorization header is not rescued by the extension: the header is what was meant.
    expect(
      refuseUnlessBearer(
        { authorization: "Bearer wrong-0123456789", "ce-authtoken": "client-a-0123456789" },
        tokens,
        "fn",
      )?.statusCode,
    ).toBe(401);
  });

  it("answers 401 with a WWW-Authenticate challenge otherwise", () => {
    for (const authorization of [undefined, "", "Bearer", "Bearer client-c-0123456789", "Basic client-a-0123456789"]) {
      const answer = refuseUnlessBearer(authorization === undefined ? {} : { authorization }, tokens, "fn");
      expect(answer).toMatchObject({ statusCode: 401, headers: { "www-authenticate": 'Bearer realm="fn"' } });
    }
  });
});
