/**
 * The two ends of `fml import`. The input is only ever read, from one consistent snapshot: a
 * SQLite file at an older MLflow revision is upgraded in a private temporary copy, never in place.
 * The output gets its schema created or upgraded exactly as `fml server` would.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DatabaseTarget } from "../config.ts";
import { maskPassword } from "../config.ts";
import type { Database, Reader, Row } from "../store/db/database.ts";
import { openDatabase } from "../store/db/open.ts";
import { raw, sql, type Dialect, type Sql } from "../store/db/sql.ts";
import { HEAD_REVISION, planSchema, type SchemaInspection } from "../store/schema/migrations.ts";
import { describeCompatibility, inspectCompatibility } from "../store/schema/compatibility.ts";
import { inspectSchema } from "../store/schema/prepare.ts";
import { incompatible, refusal } from "../store/schema/schema-errors.ts";

export class ImportError extends Error {
  override name = "ImportError";
}

export interface Column {
  name: string;
  /** As the catalog spells it: `boolean`, `BIGINT`, `character varying`, ... */
  type: string;
}

/** Catalog names are trusted, but they are spliced into SQL text: insist on plain identifiers. */
export function identifier(name: string): Sql {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new ImportError(`unexpected identifier '${name}'`);
  return raw(`"${name}"`);
}

/** A table's insertable columns (generated columns excluded), in table order. */
export function columnsSql(dialect: Dialect, table: string): Sql {
  switch (dialect) {
    case "sqlite":
      return sql`SELECT name, type FROM pragma_table_xinfo(${table}) WHERE hidden = 0 ORDER BY cid`;
    case "mysql":
      // MLflow's booleans are tinyint(1) here: COLUMN_TYPE says so where DATA_TYPE only says tinyint.
      return sql`SELECT column_name AS name,
                   CASE WHEN column_type = 'tinyint(1)' THEN 'boolean' ELSE data_type END AS type
                 FROM information_schema.columns
                 WHERE table_schema = DATABASE() AND table_name = ${table} AND extra NOT LIKE '%GENERATED%'
                 ORDER BY ordinal_position`;
    case "postgresql":
      return sql`SELECT column_name AS name, data_type AS type FROM information_schema.columns
                 WHERE table_schema = 'public' AND table_name = ${table} AND is_generated = 'NEVER'
                 ORDER BY ordinal_position`;
  }
}

function toColumns(rows: readonly Row[]): Column[] {
  return rows.map((r) => ({ name: String(r.name), type: String(r.type ?? "") }));
}

// ---------------------------------------------------------------------------------------------
// Input

/** Reads inside one read-only transaction, so every table comes from the same moment. */
export interface SourceSnapshot {
  columns(table: string): Promise<Column[]>;
  count(table: string): Promise<number>;
  /**
   * The table's rows in chunks of `size`, without holding them all in memory. Columns in
   * `asText` are read as their text, for integers a JavaScript number would round.
   */
  chunks(table: string, columns: readonly string[], size: number, asText?: ReadonlySet<string>): AsyncIterable<Row[]>;
}

export interface ImportSource {
  dialect: Dialect;
  /** The URI with its password masked. */
  description: string;
  /** The alembic revision the rows are read at (after the private upgrade, if any). */
  revision: string;
  tables: string[];
  read<T>(fn: (snapshot: SourceSnapshot) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

function selectList(dialect: Dialect, columns: readonly string[], asText: ReadonlySet<string> = new Set()): Sql {
  const textType = dialect === "mysql" ? "CHAR" : "TEXT";
  return raw(columns.map((c) => (asText.has(c) ? `CAST("${c}" AS ${textType}) AS "${c}"` : `"${c}"`)).join(", "));
}

/** Any database's snapshot: the drivers stream (SQLite's statement, PostgreSQL's cursor, MySQL's row stream). */
function sourceSnapshot(reader: Reader): SourceSnapshot {
  return {
    async columns(table) {
      return toColumns(await reader.all(columnsSql(reader.dialect, table)));
    },
    async count(table) {
      return Number((await reader.all(sql`SELECT COUNT(*) AS n FROM ${identifier(table)}`))[0]?.n ?? 0);
    },
    chunks(table, columns, size, asText) {
      return reader.iterate(sql`SELECT ${selectList(reader.dialect, columns, asText)} FROM ${identifier(table)}`, size);
    },
  };
}

/**
 * Input revisions fml reads: head, an older one (upgraded in a copy), or one it does not replay
 * whose live schema has what fml reads (compatibility mode, as `fml server` serves it).
 */
async function readableOrRefuse(db: Reader, inspection: SchemaInspection, what: string, log: (line: string) => void): Promise<"current" | "upgrade"> {
  const plan = planSchema("sqlite", inspection);
  switch (plan.kind) {
    case "current":
      return "current";
    case "newer-known":
    case "unknown": {
      const compatibility = await inspectCompatibility(db, plan.revision);
      if (compatibility.problems.length > 0) throw new ImportError(`input database ${what}: ${incompatible(compatibility).message}`);
      log(`input: ${describeCompatibility(compatibility)}`);
      return "current";
    }
    case "upgrade":
      return "upgrade";
    case "fresh":
      throw new ImportError(`the input database ${what} is empty: it holds no MLflow schema to import`);
    case "not-mlflow":
      throw new ImportError(`input database ${what}: ${refusal(plan).message}`);
  }
}

/**
 * Opens the input read-only. A SQLite file at an older revision is upgraded in a private copy:
 * VACUUM INTO writes a consistent one (WAL content included) without touching the input. A
 * PostgreSQL or MySQL input must be upgraded by its owner first, as fml import never changes its input.
 */
export async function openSource(target: DatabaseTarget, log: (line: string) => void): Promise<ImportSource> {
  const description = maskPassword(target.uri);
  let db: Database | undefined = await openDatabase(target, {
    schema: "inspect",
    readonly: true,
    mustExist: true,
    poolMax: 1,
  });
  let tempDir: string | undefined;
  try {
    let inspection = await inspectSchema(db);
    if ((await readableOrRefuse(db, inspection, description, log)) === "upgrade") {
      if (target.kind !== "sqlite") {
        throw new ImportError(
          `the input database ${description} is at MLflow revision ${inspection.revision}, older than ` +
            `${HEAD_REVISION}; fml import never changes its input. Upgrade it first (start fml server ` +
            `on it, or run mlflow db upgrade), or import from a SQLite copy.`,
        );
      }
      tempDir = mkdtempSync(join(tmpdir(), "fml-import-"));
      const copy = join(tempDir, "input.db");
      await db.exec(`VACUUM INTO '${copy.replaceAll("'", "''")}'`);
      await db.close();
      db = undefined;
      log(`input is at MLflow revision ${inspection.revision}: upgrading a temporary copy (the input is not changed)`);
      db = await openDatabase({ kind: "sqlite", path: copy, uri: `sqlite:///${copy}` }, { schema: "prepare", migrate: true, log });
      inspection = await inspectSchema(db);
    }
    const opened = db;
    const dir = tempDir;
    return {
      dialect: opened.dialect,
      description,
      revision: inspection.revision ?? HEAD_REVISION,
      tables: inspection.tables,
      read: (fn) => opened.snapshot((reader) => fn(sourceSnapshot(reader))),
      async close() {
        await opened.close();
        if (dir) rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await db?.close();
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Output

export interface ImportTarget {
  db: Database;
  description: string;
  close(): Promise<void>;
}

/** The output gets its schema created or upgraded exactly as `fml server` would. */
export async function openTarget(target: DatabaseTarget, log: (line: string) => void): Promise<ImportTarget> {
  const db = await openDatabase(target, { schema: "prepare", migrate: true, log });
  return { db, description: maskPassword(target.uri), close: () => db.close() };
}

export async function targetColumns(db: Database, table: string): Promise<Column[]> {
  return toColumns(await db.all(columnsSql(db.dialect, table)));
}
