// Prisma CLI configuration (Prisma 7): where the schema and migrations are, and the database.
import { defineConfig } from "prisma/config";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env["DATABASE_URL"] ?? "postgresql://todo@127.0.0.1:55432/todo" },
});
