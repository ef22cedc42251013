import { describe, expect, it } from "vitest";
import { ClassifiedError, classifyFailure } from "../src/index.ts";

/** The shape of an error Prisma's client throws for a driver-adapter (pg) failure. */
const prismaError = (code: string, cause: Record<string, unknown>) =>
  Object.assign(new Error("Invalid `prisma.reminder.upsert()` invocation"), {
    name: "PrismaClientKnownRequestError",
    code,
    meta: { driverAdapterError: Object.assign(new Error("adapter"), { name: "DriverAdapterError", cause }) },
  });
const systemError = (code: string) => Object.assign(new Error(`connect ${code}`), { code });

describe("classifyFailure", () => {
  it.each([
    ["a refused connection", systemError("ECONNREFUSED")],
    [
      "a socket reset, as the cause of another error",
      Object.assign(new Error("request failed"), { cause: systemError("ECONNRESET") }),
    ],
    ["a timeout", Object.assign(new Error("aborted"), { name: "TimeoutError" })],
    ["the database unreachable", prismaError("P1001", { kind: "DatabaseNotReachable" })],
    ["a deadlock", prismaError("P2034", { kind: "TransactionWriteConflict", originalCode: "40P01" })],
    ["a database shutting down", prismaError("P2010", { kind: "postgres", code: "57P01" })],
    ["a lock not available", prismaError("P2010", { kind: "postgres", code: "55P03" })],
    ["tables not migrated yet", prismaError("P2021", { kind: "TableDoesNotExist" })],
    ["Dapr answering 503", new ClassifiedError("transient", "dapr answered 503")],
  ])("%s is transient: retry", (_name, error) => {
    expect(classifyFailure(error).kind).toBe("transient");
  });

  it.each([
    ["text PostgreSQL cannot store (22021)", prismaError("P2010", { kind: "postgres", code: "22021" })],
    ["a value out of range", prismaError("P2020", { kind: "ValueOutOfRange", originalCode: "22008" })],
    ["a value too long", prismaError("P2000", { kind: "LengthMismatch", originalCode: "22001" })],
    ["a constraint", prismaError("P2002", { kind: "UniqueConstraintViolation", originalCode: "23505" })],
    ["Dapr refusing the job (4xx)", new ClassifiedError("permanent", "dapr answered 400")],
    ["something nobody foresaw", new RangeError("Invalid time value")],
    ["a thrown string", "boom"],
  ])("%s is permanent: dead letter", (_name, error) => {
    expect(classifyFailure(error).kind).toBe("permanent");
  });

  it("names the likely cause when the failure says it: a table missing is a migration not applied", () => {
    expect(classifyFailure(prismaError("P2021", { kind: "TableDoesNotExist" })).hint).toMatch(/migrations not applied/);
    expect(classifyFailure(prismaError("P2010", { kind: "postgres", code: "42P01" })).hint).toMatch(
      /migrations not applied/,
    );
    expect(classifyFailure(systemError("ECONNREFUSED")).hint).toMatch(/unreachable/);
    expect(classifyFailure(new RangeError("Invalid time value")).hint).toBeUndefined();
  });

  it("says what happened, briefly", () => {
    expect(classifyFailure(new RangeError("Invalid time value")).reason).toBe("RangeError: Invalid time value");
    expect(classifyFailure(new Error("x".repeat(2000))).reason.length).toBeLessThanOrEqual(500);
  });
});
