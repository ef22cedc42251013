/**
 * The shape of a database schema as comparable lines ("column reminders.task_id text NOT NULL"),
 * once from schema.prisma (through Prisma's own schema parser, getDMMF) and once from what
 * PostgreSQL really has. Equal shapes mean the migrations produce what schema.prisma describes.
 */
import internals from "@prisma/internals";
import type pg from "pg";

const { getDMMF } = internals;

export async function shapeOfPrismaSchema(schema: string): Promise<string[]> {
  const { datamodel } = await getDMMF({ datamodel: schema });
  const lines: string[] = [];
  const tableOf = new Map(datamodel.models.map((model) => [model.name, model.dbName ?? model.name]));
  for (const model of datamodel.models) {
    const table = tableOf.get(model.name)!;
    lines.push(`table ${table}`);
    for (const field of model.fields) {
      if (field.kind !== "scalar" && field.kind !== "enum") continue;
      const column = field.dbName ?? field.name;
      lines.push(`column ${table}.${column} ${prismaType(field)} ${field.isRequired ? "NOT NULL" : "NULL"}`);
      if (field.hasDefaultValue) lines.push(`default ${table}.${column} ${prismaDefault(field.default)}`);
    }
  }
  for (const index of datamodel.indexes) {
    const model = datamodel.models.find((m) => m.name === index.model)!;
    const columns = index.fields.map((f) => model.fields.find((mf) => mf.name === f.name)!.dbName ?? f.name);
    const kind = index.type === "id" ? "primary key" : index.type === "unique" ? "unique index" : "index";
    lines.push(`${kind} ${tableOf.get(index.model)!}(${columns.join(",")})`);
  }
  for (const enumType of datamodel.enums) {
    lines.push(`enum ${enumType.dbName ?? enumType.name}(${enumType.values.map((v) => v.dbName ?? v.name).join(",")})`);
  }
  return lines.sort();
}

function prismaType(field: { kind: string; type: string; nativeType?: readonly unknown[] | null }): string {
  if (field.kind === "enum") return field.type;
  const [nativeName, nativeArgs] = (field.nativeType ?? []) as [string?, string[]?];
  if (nativeName) return `${nativeName.toLowerCase()}(${(nativeArgs ?? []).join(",")})`;
  const defaults: Record<string, string> = {
    String: "text",
    Boolean: "boolean",
    Int: "integer",
    DateTime: "timestamp(3)",
  };
  return defaults[field.type] ?? field.type;
}

function prismaDefault(value: unknown): string {
  if (typeof value === "object" && value !== null && "name" in value && value.name === "now")
    return "CURRENT_TIMESTAMP";
  return String(value);
}

export async function shapeOfDatabase(client: pg.Client): Promise<string[]> {
  const lines: string[] = [];
  const columns = await client.query<{
    table_name: string;
    column_name: string;
    udt_name: string;
    data_type: string;
    datetime_precision: number | null;
    is_nullable: string;
    column_default: string | null;
  }>(`SELECT table_name, column_name, udt_name, data_type, datetime_precision, is_nullable, column_default
      FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'`);
  const tables = new Set<string>();
  for (const c of columns.rows) {
    tables.add(c.table_name);
    const type =
      c.data_type === "USER-DEFINED"
        ? c.udt_name
        : c.udt_name.startsWith("timestamp")
          ? `${c.udt_name}(${c.datetime_precision ?? ""})`
          : (({ text: "text", bool: "boolean", int4: "integer" } as Record<string, string>)[c.udt_name] ?? c.udt_name);
    lines.push(`column ${c.table_name}.${c.column_name} ${type} ${c.is_nullable === "YES" ? "NULL" : "NOT NULL"}`);
    if (c.column_default !== null) lines.push(`default ${c.table_name}.${c.column_name} ${c.column_default}`);
  }
  for (const table of tables) lines.push(`table ${table}`);
  const indexes = await client.query<{ table: string; primary: boolean; unique: boolean; columns: string[] }>(`
    SELECT t.relname AS table, i.indisprimary AS primary, i.indisunique AS unique,
           array_agg(a.attname::text ORDER BY k.ord) AS columns
    FROM pg_index i
    JOIN pg_class t ON t.oid = i.indrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
    WHERE n.nspname = 'public' AND t.relname <> '_prisma_migrations'
    GROUP BY t.relname, i.indexrelid, i.indisprimary, i.indisunique`);
  for (const index of indexes.rows) {
    const kind = index.primary ? "primary key" : index.unique ? "unique index" : "index";
    lines.push(`${kind} ${index.table}(${index.columns.join(",")})`);
  }
  const enums = await client.query<{ name: string; labels: string[] }>(`
    SELECT t.typname AS name, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels
    FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname`);
  for (const e of enums.rows) lines.push(`enum ${e.name}(${e.labels.join(",")})`);
  return lines.sort();
}
