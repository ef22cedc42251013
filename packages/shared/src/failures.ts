/**
 * Whether a failure can pass if the same work is tried again. A consumer retries transient
 * failures (a connection, a timeout, a lock, a 5xx, a missing table that a migration will bring)
 * and sends the record to its dead-letter topic on a permanent one (invalid data, a value the
 * database refuses, a 4xx), so that one record can never hold up the records behind it.
 * A failure nobody foresaw counts as permanent for the same reason: a dead letter can be
 * replayed (npm run dlq), a stalled partition stalls every task on it.
 */
export type FailureKind = "transient" | "permanent";

export interface Failure {
  readonly kind: FailureKind;
  readonly reason: string;
  /** What probably causes it, when the failure says (e.g. migrations not applied). */
  readonly hint?: string;
}

/** A refusal whose kind the thrower already knows (e.g. Dapr answered 4xx or 5xx). */
export class ClassifiedError extends Error {
  readonly kind: FailureKind;

  constructor(kind: FailureKind, message: string) {
    super(message);
    this.name = "ClassifiedError";
    this.kind = kind;
  }
}

const TRANSIENT_CODES = new Set([
  // Node sockets
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ECONNABORTED",
  // Prisma: cannot reach / authenticate / pool timeout / transaction expired / conflict / schema not migrated yet
  "P1000",
  "P1001",
  "P1002",
  "P1003",
  "P1008",
  "P1017",
  "P2021",
  "P2022",
  "P2024",
  "P2028",
  "P2034",
]);

/** Prisma driver-adapter error kinds that say the database, not the record, is the problem. */
const TRANSIENT_KINDS = new Set([
  "DatabaseNotReachable",
  "ConnectionClosed",
  "SocketTimeout",
  "TooManyConnections",
  "TransactionWriteConflict",
  "TlsConnectionError",
  "DatabaseDoesNotExist",
  "DatabaseAccessDenied",
  "AuthenticationFailed",
  "TableDoesNotExist",
  "ColumnNotFound",
]);

/**
 * PostgreSQL SQLSTATE classes that pass with time: 08 connection, 28 authorization, 3D no such
 * database, 40 rollback (serialization, deadlock), 42 schema not migrated yet, 53 resources,
 * 55 lock not available, 57 operator intervention (shutdown, cancel), 58 system, XX internal.
 * Classes 22 (data exception) and 23 (integrity) are the record's fault: permanent.
 */
const TRANSIENT_SQLSTATE = /^(08|28|3D|40|42|53|55|57|58|XX)[0-9A-Z]{3}$/;

const TRANSIENT_NAMES = new Set(["AbortError", "TimeoutError"]);

/** Facts that name their cause: a table or column missing is a schema not migrated (yet). */
const HINTS: readonly [RegExp, string][] = [
  [
    /^(P2021|P2022|TableDoesNotExist|ColumnNotFound|42P01|42703)$/,
    "migrations not applied: run the migration Job (docs/operations.md)",
  ],
  [/^(P1001|DatabaseNotReachable|ECONNREFUSED|ENOTFOUND|EAI_AGAIN)$/, "the database or the sidecar is unreachable"],
  [/^(P1000|AuthenticationFailed|28P01|28000)$/, "the database refuses the credentials"],
];

export function classifyFailure(error: unknown): Failure {
  const reason = describe(error);
  const facts = factsOf(error);
  const hint = HINTS.find(([pattern]) => facts.some((fact) => pattern.test(fact)))?.[1];
  const failure = (kind: FailureKind): Failure => (hint === undefined ? { kind, reason } : { kind, reason, hint });
  if (error instanceof ClassifiedError) return failure(error.kind);
  for (const fact of facts) {
    if (TRANSIENT_CODES.has(fact) || TRANSIENT_KINDS.has(fact) || TRANSIENT_NAMES.has(fact)) {
      return failure("transient");
    }
    if (TRANSIENT_SQLSTATE.test(fact)) return failure("transient");
  }
  return failure("permanent");
}

/** Codes, kinds and names found on the error, its causes and Prisma's driver-adapter details. */
function factsOf(error: unknown): string[] {
  const facts: string[] = [];
  const seen = new Set<unknown>();
  const pending: unknown[] = [error];
  while (pending.length > 0) {
    const current = pending.pop();
    if (typeof current !== "object" || current === null || seen.has(current)) continue;
    seen.add(current);
    const record = current as Record<string, unknown>;
    for (const key of ["code", "kind", "name", "originalCode"]) {
      if (typeof record[key] === "string") facts.push(record[key]);
    }
    pending.push(record["cause"], record["meta"], record["driverAdapterError"]);
  }
  return facts;
}

function describe(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.replace(/\s+/g, " ").slice(0, 500);
}
