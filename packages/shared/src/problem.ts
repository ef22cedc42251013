/** One thing wrong with a request, addressed by where it is (`data.task.title`, `ce-source`, ...). */
export interface Issue {
  readonly path: string;
  readonly message: string;
}

/** The response shape faas-js-runtime turns into an HTTP answer. */
export interface FunctionResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: object;
}

/** An RFC 9457 problem document: every non-2xx answer of the functions has this shape. */
export function problem(
  status: number,
  title: string,
  extra: { issues?: readonly Issue[]; retryAfterSeconds?: number; detail?: string; allow?: string } = {},
): FunctionResponse {
  const headers: Record<string, string> = { "content-type": "application/problem+json" };
  if (extra.retryAfterSeconds !== undefined) headers["retry-after"] = String(extra.retryAfterSeconds);
  if (extra.allow !== undefined) headers["allow"] = extra.allow;
  return {
    statusCode: status,
    headers,
    body: { type: "about:blank", title, status, detail: extra.detail, issues: extra.issues },
  };
}

export function accepted(body: object): FunctionResponse {
  return { statusCode: 202, headers: { "content-type": "application/json" }, body };
}

/** A failed parse says what was wrong and, when it is not a plain 400, which 4xx fits. */
export type Result<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly issues: readonly Issue[]; readonly status?: 400 | 401 | 413 | 415 };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(...issues: Issue[]): Result<T> => ({ ok: false, issues });
export const refuse = <T = never>(status: 400 | 401 | 413 | 415, ...issues: Issue[]): Result<T> => ({
  ok: false,
  issues,
  status,
});
