import { readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { shapeOfDatabase, shapeOfPrismaSchema } from "../support/schema-shape.ts";
import { stack } from "../support/stack.ts";

const schema = readFileSync(join(import.meta.dirname, "..", "..", "prisma", "schema.prisma"), "utf8");

describe("the migrated database matches prisma/schema.prisma (no drift)", () => {
  const client = new pg.Client({ connectionString: stack().databaseUrl });
  beforeAll(() => client.connect());
  afterAll(() => client.end());

  it("has exactly the tables, columns, defaults, indexes and enums the schema describes", async () => {
    expect(await shapeOfDatabase(client)).toEqual(await shapeOfPrismaSchema(schema));
  });

  it("would notice a schema change that has no migration", async () => {
    const withoutSweepIndex = schema.replace("@@index([status, remindAt])", "");
    const withNewColumn = schema.replace(
      "completed     Boolean",
      "snoozed Boolean @default(false)\n  completed     Boolean",
    );
    const actual = await shapeOfDatabase(client);
    expect(await shapeOfPrismaSchema(withoutSweepIndex)).not.toEqual(actual);
    expect(await shapeOfPrismaSchema(withNewColumn)).not.toEqual(actual);
  });
});
