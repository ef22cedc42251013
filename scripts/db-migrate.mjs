#!/usr/bin/env node
// Applies prisma/migrations to DATABASE_URL the way `prisma migrate deploy` does, for machines
// where Prisma's native schema engine cannot be downloaded: each pending migration runs in its own
// transaction and is recorded in Prisma's own `_prisma_migrations` table (same columns, sha256
// checksum), so a real `prisma migrate deploy` / `migrate status` later sees the same history.
import { createHash, randomUUID } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";

// MIGRATIONS_DIR: where the migrations are when this runs bundled in schedule-reminder's image
// (cluster/migrate-job.yaml: build/migrations beside build/db-migrate.mjs).
const MIGRATIONS = process.env.MIGRATIONS_DIR ?? join(import.meta.dirname, "..", "prisma", "migrations");
const url = process.env.DATABASE_URL ?? "postgresql://todo@127.0.0.1:55432/todo";

const client = new pg.Client({ connectionString: url });
await client.connect();
try {
  // One migrator at a time (the same advisory lock key idea as Prisma's).
  await client.query("SELECT pg_advisory_lock(72707369)");
  await client.query(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum" VARCHAR(64) NOT NULL,
    "finished_at" TIMESTAMPTZ,
    "migration_name" VARCHAR(255) NOT NULL,
    "logs" TEXT,
    "rolled_back_at" TIMESTAMPTZ,
    "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count" INTEGER NOT NULL DEFAULT 0
  )`);
  const { rows } = await client.query(
    `SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
  );
  const applied = new Map(rows.map((row) => [row.migration_name, row.checksum]));
  const names = readdirSync(MIGRATIONS)
    .filter((name) => statSync(join(MIGRATIONS, name)).isDirectory())
    .sort();
  for (const name of names) {
    const sql = readFileSync(join(MIGRATIONS, name, "migration.sql"), "utf8");
    const checksum = createHash("sha256").update(sql).digest("hex");
    if (applied.has(name)) {
      if (applied.get(name) !== checksum) throw new Error(`migration ${name} was changed after it was applied`);
      continue;
    }
    await client.query("BEGIN");
    try {
      await client.query(sql);
      await client.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, finished_at, applied_steps_count)
         VALUES ($1, $2, $3, now(), 1)`,
        [randomUUID(), checksum, name],
      );
      await client.query("COMMIT");
      console.log(`applied ${name}`);
    } catch (error) {
      await client.query("ROLLBACK");
      throw new Error(`migration ${name} failed: ${error.message}`);
    }
  }
  console.log(`database is up to date (${names.length} migrations)`);
} finally {
  await client.end();
}
