import { createHash, timingSafeEqual } from "node:crypto";
import { problem, type FunctionResponse } from "./problem.ts";

type Headers = Readonly<Record<string, string | string[] | undefined>>;

/**
 * Constant-time check of a presented secret against the accepted ones: both sides are hashed to
 * the same length first, and every accepted secret is compared, so neither the length nor the
 * position of the first wrong character shows in the time taken.
 */
export function secretMatches(presented: string | undefined, accepted: readonly string[]): boolean {
  const digest = (value: string) => createHash("sha256").update(value).digest();
  const given = digest(presented ?? "");
  let matched = false;
  for (const secret of accepted) matched = timingSafeEqual(given, digest(secret)) || matched;
  return presented !== undefined && matched;
}

const header = (headers: Headers, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/**
 * Daprd sends the app API token (APP_API_TOKEN) in `dapr-api-token` on every call to the app:
 * anything without it did not come from our sidecar. `token` is undefined only in
 * local-development mode, where the check is off. Returns the 401 to answer, if any.
 */
export function refuseUnlessFromSidecar(headers: Headers, token: string | undefined): FunctionResponse | undefined {
  if (token === undefined || secretMatches(header(headers, "dapr-api-token"), [token])) return undefined;
  return problem(401, "calls to this function must come from its Dapr sidecar", {
    detail: "missing or wrong dapr-api-token",
  });
}

/**
 * The CloudEvent extension attribute that may carry the client's token instead of the
 * Authorization header (binary mode: the `ce-authtoken` header): what `func invoke -e
 * authtoken=<token>` can send, since func invoke sends no other header. Read only here; the events
 * the function publishes are built afresh and never carry it.
 */
export const TOKEN_EXTENSION = "authtoken";

/**
 * Clients of a public function authenticate with `Authorization: Bearer <token>` (RFC 6750), or
 * the same token in the CloudEvent extension `authtoken`; the tokens come from a Kubernetes Secret.
 * `tokens` is undefined only in local-development mode.
 */
export function refuseUnlessBearer(
  headers: Headers,
  tokens: readonly string[] | undefined,
  realm: string,
): FunctionResponse | undefined {
  if (tokens === undefined) return undefined;
  const bearer = /^Bearer ([\x21-\x7e]+)$/i.exec(header(headers, "authorization") ?? "")?.[1];
  if (secretMatches(bearer ?? header(headers, `ce-${TOKEN_EXTENSION}`), tokens)) return undefined;
  const answer = problem(401, "authentication required", {
    detail: `send Authorization: Bearer <token>, or the CloudEvent extension ${TOKEN_EXTENSION}, with a token this function accepts`,
  });
  answer.headers["www-authenticate"] = `Bearer realm="${realm}"`;
  return answer;
}
