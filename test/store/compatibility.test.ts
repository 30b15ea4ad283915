/**
 * Compatibility mode's rules, without a database: what fml needs (parsed from its head schema,
 * kept equal to the tables the store names), how column types compare, and which differences of a
 * newer MLflow schema are refused, naming table and column.
 */

import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteDatabaseHandle } from "../../src/store/db/sqlite.ts";
import type { Dialect } from "../../src/store/db/sql.ts";
import { incompatibility, typeShape } from "../../src/store/schema/column-types.ts";
import { schemaProblems } from "../../src/store/schema/compatibility.ts";
import { prepareSchema } from "../../src/store/schema/prepare.ts";
import type { LiveSchema } from "../../src/store/schema/live-columns.ts";
import { headSchemaSql } from "../../src/store/schema/migrations.ts";
import { FML_TABLES, parseCreateTables, requiredSchema } from "../../src/store/schema/required-schema.ts";
import { repoRoot } from "../helpers/fixtures.ts";

const dialects: Dialect[] = ["sqlite", "postgresql", "mysql"];

/** A live schema equal to fml's head, to change one thing in. */
function headAsLive(dialect: Dialect): LiveSchema {
  const live: LiveSchema = new Map();
  for (const [table, columns] of parseCreateTables(headSchemaSql(dialect))) {
    live.set(
      table,
      [...columns.values()].map((c) => ({ name: c.name, type: c.type, notNull: c.notNull, filledByDatabase: false })),
    );
  }
  return live;
}

function column(live: LiveSchema, table: string, name: string) {
  const found = live.get(table)?.find((c) => c.name === name);
  if (!found) throw new Error(`no ${table}.${name} in the head schema`);
  return found;
}

describe("what fml needs", () => {
  test("the store's tables are exactly those its SQL names, and those it inserts into are marked so", () => {
    const storeDir = join(repoRoot, "src/store");
    // The entity modules, and prepare.ts, which reads alembic_version.
    const source = [...readdirSync(storeDir).filter((f) => f.endsWith(".ts")), "schema/prepare.ts"]
      .map((f) => readFileSync(join(storeDir, f), "utf8"))
      .join("\n");
    const headTables = new Set(parseCreateTables(headSchemaSql("sqlite")).keys());
    const named = new Set(
      [...source.matchAll(/\b(?:FROM|JOIN|INTO|UPDATE)\s+"?(\w+)/g), ...source.matchAll(/"(\w+)"/g)]
        .map((m) => m[1] ?? "")
        .filter((name) => headTables.has(name)),
    );
    expect([...named].sort()).toEqual(Object.keys(FML_TABLES).sort());
    for (const [, table] of source.matchAll(/INSERT INTO "?(\w+)/g)) {
      if (table && headTables.has(table)) expect(`${table}: ${FML_TABLES[table]}`).toBe(`${table}: insert`);
    }
  });

  for (const dialect of dialects) {
    test(`${dialect}: every table fml uses is in its head schema, every column with a type it understands`, () => {
      const spec = requiredSchema(dialect);
      expect([...spec.keys()].sort()).toEqual(Object.keys(FML_TABLES).sort());
      for (const [table, columns] of spec) {
        for (const c of columns.values()) expect(`${table}.${c.name} ${typeShape(c.type, dialect).kind}`).not.toEndWith(" other");
      }
      // Columns declared on one line after another (SQLite's ALTER TABLE ADD COLUMN) and generated ones.
      expect(spec.get("trace_info")?.get("response_preview")?.type.toLowerCase()).toMatch(/^(varchar|character varying)\(1000\)$/);
      expect(spec.get("runs")?.get("deleted_time")?.type.toLowerCase()).toMatch(/^bigint(\(20\))?$/);
      expect(spec.get("spans")?.get("duration_ns")?.type.toLowerCase()).toMatch(/^bigint(\(20\))?$/);
      // A column called key is a column, not one of mysqldump's KEY lines.
      expect([...(spec.get("params")?.keys() ?? [])].sort()).toEqual(["key", "run_uuid", "value"]);
      expect(spec.get("experiment_tags")?.get("value")?.type.toLowerCase()).toMatch(/^(varchar|character varying)\(5000\)$/);
    });

    test(`${dialect}: fml's own head schema is compatible with itself`, () => {
      expect(schemaProblems(dialect, headAsLive(dialect))).toEqual([]);
    });
  }
});

describe("column types", () => {
  test("a wider text column, or TEXT, holds what a VARCHAR(n) holds; a narrower one does not", () => {
    expect(incompatibility("VARCHAR(250)", "VARCHAR(500)", "sqlite")).toBeNull();
    expect(incompatibility("character varying(250)", "text", "postgresql")).toBeNull();
    expect(incompatibility("VARCHAR(5000)", "TEXT", "sqlite")).toBeNull();
    expect(incompatibility("character varying(250)", "character varying(100)", "postgresql")).toBe(
      "is character varying(100), narrower than the character varying(250) fml needs",
    );
    expect(incompatibility("text", "character varying(8000)", "postgresql")).toContain("narrower than");
  });

  test("integers and floats by width; SQLite's are all eight bytes", () => {
    expect(incompatibility("bigint", "integer", "postgresql")).toContain("narrower than");
    expect(incompatibility("integer", "bigint", "postgresql")).toBeNull();
    expect(incompatibility("BIGINT", "INTEGER", "sqlite")).toBeNull();
    expect(incompatibility("double precision", "real", "postgresql")).toContain("narrower than");
    expect(incompatibility("FLOAT", "REAL", "sqlite")).toBeNull();
  });

  test("kinds that do not mix", () => {
    expect(incompatibility("bigint", "text", "postgresql")).toBe("is text, not compatible with the bigint fml needs");
    expect(incompatibility("boolean", "integer", "postgresql")).toContain("not compatible");
    expect(incompatibility("BOOLEAN", "INTEGER", "sqlite")).toBeNull();
    expect(incompatibility("json", "jsonb", "postgresql")).toBeNull();
    expect(incompatibility("text", "json", "postgresql")).toContain("not compatible");
    expect(incompatibility("bytea", "text", "postgresql")).toContain("not compatible");
  });

  test("MySQL's spellings (information_schema.columns.column_type)", () => {
    expect(typeShape("tinyint(1)", "sqlite").kind).toBe("boolean");
    expect(typeShape("bigint(20)", "postgresql")).toMatchObject({ kind: "integer", size: 8 });
    expect(typeShape("longtext", "postgresql")).toMatchObject({ kind: "text", size: null });
    expect(typeShape("varchar(5000)", "postgresql")).toMatchObject({ kind: "text", size: 5000 });
  });
});

describe("a newer MLflow schema", () => {
  for (const dialect of dialects) {
    test(`${dialect}: additive changes are compatible`, () => {
      const live = headAsLive(dialect);
      live.get("trace_info")?.push({ name: "trace_version", type: "BIGINT", notNull: true, filledByDatabase: true });
      live.get("spans")?.push({ name: "links", type: "JSON", notNull: false, filledByDatabase: false });
      live.set("label_schemas", [{ name: "schema_id", type: "VARCHAR(36)", notNull: true, filledByDatabase: false }]);
      column(live, "experiment_tags", "value").type = "TEXT";
      column(live, "params", "value").type = dialect === "sqlite" ? "VARCHAR(10000)" : "character varying(10000)";
      expect(schemaProblems(dialect, live)).toEqual([]);
    });

    test(`${dialect}: what fml reads or writes missing, narrower or unfilled is named`, () => {
      const live = headAsLive(dialect);
      live.set("runs", live.get("runs")?.filter((c) => c.name !== "deleted_time") ?? []);
      live.delete("assessments");
      column(live, "tags", "value").type = "VARCHAR(250)";
      live.get("model_versions")?.push({ name: "state", type: "VARCHAR(10)", notNull: true, filledByDatabase: false });
      // Tables fml never inserts into may gain such columns.
      live.get("scorers")?.push({ name: "sample_rate", type: "FLOAT", notNull: true, filledByDatabase: false });
      expect(schemaProblems(dialect, live)).toEqual([
        "column runs.deleted_time is missing",
        "column tags.value is VARCHAR(250), narrower than the " + column(headAsLive(dialect), "tags", "value").type + " fml needs",
        "column model_versions.state is NOT NULL without a default, and fml does not fill it",
        "table assessments is missing",
      ].sort((a, b) => order(dialect, a) - order(dialect, b)));
    });
  }
});

/** Problems come in the order of fml's head schema's tables. */
function order(dialect: Dialect, problem: string): number {
  const table = /(?:column|table) (\w+)/.exec(problem)?.[1] ?? "";
  return [...requiredSchema(dialect).keys()].indexOf(table);
}

describe("experiment tag values", () => {
  const dir = mkdtempSync(join(tmpdir(), "fml-compat-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** fml's head schema at a revision fml does not know, with experiment_tags.value declared as given. */
  async function limitFor(name: string, valueType: string | null): Promise<number> {
    const db = await SqliteDatabaseHandle.open(join(dir, `${name}.db`), {});
    try {
      await prepareSchema(db, { migrate: false });
      await db.exec("UPDATE alembic_version SET version_num = '0123456789ab'");
      if (valueType) {
        await db.exec(`
          CREATE TABLE t (key VARCHAR(250) NOT NULL, value ${valueType}, experiment_id INTEGER NOT NULL,
            CONSTRAINT experiment_tag_pk PRIMARY KEY (key, experiment_id));
          DROP TABLE experiment_tags;
          ALTER TABLE t RENAME TO experiment_tags;`);
      }
      const prepared = await prepareSchema(db, { migrate: false });
      expect(prepared.compatibility?.problems).toEqual([]);
      return prepared.limits.experimentTagValue;
    } finally {
      await db.close();
    }
  }

  test("up to 20,000 characters where the column holds them (MLflow 3.17's TEXT), else MLflow 3.11's 5,000", async () => {
    expect(await limitFor("head", null)).toBe(5000);
    expect(await limitFor("text", "TEXT")).toBe(20000);
    expect(await limitFor("wide", "VARCHAR(20000)")).toBe(20000);
    expect(await limitFor("wider-than-head", "VARCHAR(10000)")).toBe(5000);
  });
});
