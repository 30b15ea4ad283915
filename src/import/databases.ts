/**
 * The two ends of `fml import`. The input is only ever read, from one consistent snapshot: a
 * SQLite file at an older MLflow revision is upgraded in a private temporary copy, never in place.
 * The output gets its schema created or upgraded exactly as `fml server` would.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type postgres from "postgres";
import type { DatabaseTarget } from "../config.ts";
import { maskPassword } from "../config.ts";
import { openSqlite, type SqliteDatabase } from "../runtime.ts";
import type { Database, Row } from "../store/db/database.ts";
import { inspectPostgres, preparePostgresSchema } from "../store/schema/migrate-postgres.ts";
import { inspectSqlite, prepareSqliteSchema } from "../store/schema/migrate-sqlite.ts";
import { HEAD_REVISION, planSchema, type SchemaInspection } from "../store/schema/migrations.ts";
import { checkConnection, connectPostgres, PostgresDatabase, type PostgresSql } from "../store/db/postgres.ts";
import { refusal } from "../store/schema/schema-errors.ts";
import { raw, render, sql, type Dialect, type Sql } from "../store/db/sql.ts";
import { SqliteDatabaseHandle } from "../store/db/sqlite.ts";

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
  return dialect === "sqlite"
    ? sql`SELECT name, type FROM pragma_table_xinfo(${table}) WHERE hidden = 0 ORDER BY cid`
    : sql`SELECT column_name AS name, data_type AS type FROM information_schema.columns
          WHERE table_schema = 'public' AND table_name = ${table} AND is_generated = 'NEVER'
          ORDER BY ordinal_position`;
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
  /** The table's rows in chunks of `size`, without holding them all in memory. */
  chunks(table: string, columns: readonly string[], size: number): AsyncIterable<Row[]>;
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

function selectList(columns: readonly string[]): Sql {
  return raw(columns.map((c) => `"${c}"`).join(", "));
}

class SqliteSnapshot implements SourceSnapshot {
  constructor(private readonly db: SqliteDatabase) {}

  private all(query: Sql): Row[] {
    const { text, values } = render(query, "sqlite");
    return this.db.all<Row>(text, values);
  }
  columns(table: string): Promise<Column[]> {
    return Promise.resolve(toColumns(this.all(columnsSql("sqlite", table))));
  }
  count(table: string): Promise<number> {
    return Promise.resolve(Number(this.all(sql`SELECT COUNT(*) AS n FROM ${identifier(table)}`)[0]?.n ?? 0));
  }
  /** Keyset pagination on the rowid: every MLflow table is a rowid table. */
  async *chunks(table: string, columns: readonly string[], size: number): AsyncIterable<Row[]> {
    let after = -Infinity;
    for (;;) {
      const rows = this.all(sql`
        SELECT _rowid_ AS fml_rowid, ${selectList(columns)} FROM ${identifier(table)}
        WHERE _rowid_ > ${after} ORDER BY _rowid_ LIMIT ${size}`);
      if (rows.length === 0) return;
      after = Number(rows[rows.length - 1]?.fml_rowid);
      yield rows;
      if (rows.length < size) return;
    }
  }
}

class PostgresSnapshot implements SourceSnapshot {
  constructor(private readonly tx: postgres.TransactionSql<{ bigint: number }>) {}

  private async all(query: Sql): Promise<Row[]> {
    const { text, values } = render(query, "postgresql");
    return (await this.tx.unsafe(text, values as postgres.ParameterOrJSON<number>[])) as unknown as Row[];
  }
  async columns(table: string): Promise<Column[]> {
    return toColumns(await this.all(columnsSql("postgresql", table)));
  }
  async count(table: string): Promise<number> {
    return Number((await this.all(sql`SELECT COUNT(*) AS n FROM ${identifier(table)}`))[0]?.n ?? 0);
  }
  /** A server-side cursor: one pass over the table whatever its size or the server's version. */
  async *chunks(table: string, columns: readonly string[], size: number): AsyncIterable<Row[]> {
    const { text } = render(sql`SELECT ${selectList(columns)} FROM ${identifier(table)}`, "postgresql");
    for await (const rows of this.tx.unsafe(text).cursor(size)) yield rows as unknown as Row[];
  }
}

function describeUri(target: DatabaseTarget): string {
  return maskPassword(target.uri);
}

/** Input revisions fml reads: head, or a later one MLflow documented (a superset of head). */
function readableOrRefuse(inspection: SchemaInspection, what: string): "current" | "upgrade" {
  const plan = planSchema("sqlite", inspection);
  switch (plan.kind) {
    case "current":
    case "newer-known":
      return "current";
    case "upgrade":
      return "upgrade";
    case "fresh":
      throw new ImportError(`the input database ${what} is empty: it holds no MLflow schema to import`);
    case "unknown":
    case "not-mlflow":
      throw new ImportError(`input database ${what}: ${refusal(plan).message}`);
  }
}

async function openSqliteSource(target: DatabaseTarget & { kind: "sqlite" }, log: (line: string) => void): Promise<ImportSource> {
  const description = describeUri(target);
  let db: SqliteDatabase;
  try {
    db = await openSqlite(target.path, { readonly: true });
    db.exec("PRAGMA busy_timeout = 20000");
  } catch (error) {
    throw new ImportError(`cannot open the input SQLite database ${target.path}: ${(error as Error).message}`);
  }
  let tempDir: string | undefined;
  try {
    const inspection = await inspectSqlite(db);
    let revision = inspection.revision ?? HEAD_REVISION;
    let tables = inspection.tables;
    if (readableOrRefuse(inspection, description) === "upgrade") {
      // VACUUM INTO writes a consistent copy (WAL content included) without touching the input.
      tempDir = mkdtempSync(join(tmpdir(), "fml-import-"));
      const copy = join(tempDir, "input.db");
      db.run("VACUUM INTO ?", [copy]);
      db.close();
      db = await openSqlite(copy);
      log(`input is at MLflow revision ${revision}: upgrading a temporary copy (the input is not changed)`);
      await prepareSqliteSchema(db, { migrate: true, log });
      const upgraded = await inspectSqlite(db);
      revision = upgraded.revision ?? HEAD_REVISION;
      tables = upgraded.tables;
    }
    const handle = db;
    const dir = tempDir;
    return {
      dialect: "sqlite",
      description,
      revision,
      tables,
      async read(fn) {
        handle.exec("BEGIN");
        try {
          return await fn(new SqliteSnapshot(handle));
        } finally {
          handle.exec("COMMIT");
        }
      },
      async close() {
        handle.close();
        if (dir) rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    db.close();
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    throw error;
  }
}

async function openPostgresSource(target: DatabaseTarget & { kind: "postgresql" }): Promise<ImportSource> {
  const description = describeUri(target);
  const pool: PostgresSql = connectPostgres(target.url, { max: 1 });
  await checkConnection(pool, target.url);
  try {
    const inspection = await inspectPostgres(pool);
    if (readableOrRefuse(inspection, description) === "upgrade") {
      throw new ImportError(
        `the input database ${description} is at MLflow revision ${inspection.revision}, older than ` +
          `${HEAD_REVISION}; fml import never changes its input. Upgrade it first (start fml server ` +
          `on it, or run mlflow db upgrade), or import from a SQLite copy.`,
      );
    }
    return {
      dialect: "postgresql",
      description,
      revision: inspection.revision ?? HEAD_REVISION,
      tables: inspection.tables,
      async read(fn) {
        const result = await pool.begin("ISOLATION LEVEL REPEATABLE READ READ ONLY", (tx) =>
          fn(new PostgresSnapshot(tx)),
        );
        return result as Awaited<ReturnType<typeof fn>>;
      },
      close: () => pool.end({ timeout: 5 }),
    };
  } catch (error) {
    await pool.end({ timeout: 0 });
    throw error;
  }
}

export function openSource(target: DatabaseTarget, log: (line: string) => void): Promise<ImportSource> {
  return target.kind === "sqlite" ? openSqliteSource(target, log) : openPostgresSource(target);
}

// ---------------------------------------------------------------------------------------------
// Output

export interface ImportTarget {
  db: Database;
  description: string;
  close(): Promise<void>;
}

export async function openTarget(target: DatabaseTarget, log: (line: string) => void): Promise<ImportTarget> {
  const description = describeUri(target);
  if (target.kind === "sqlite") {
    let handle: SqliteDatabaseHandle;
    try {
      handle = await SqliteDatabaseHandle.open(target.path);
    } catch (error) {
      throw new ImportError(`cannot open the output SQLite database ${target.path}: ${(error as Error).message}`);
    }
    try {
      await prepareSqliteSchema(handle.writerDb, { migrate: true, log, databaseUri: target.uri });
    } catch (error) {
      await handle.close();
      throw error;
    }
    return { db: handle, description, close: () => handle.close() };
  }
  const pool = connectPostgres(target.url, { max: 2 });
  await checkConnection(pool, target.url);
  try {
    await preparePostgresSchema(pool, { migrate: true, log, databaseUri: target.uri });
  } catch (error) {
    await pool.end({ timeout: 5 });
    throw error;
  }
  const db = new PostgresDatabase(pool);
  return { db, description, close: () => db.close() };
}

export async function targetColumns(db: Database, table: string): Promise<Column[]> {
  return toColumns(await db.all(columnsSql(db.dialect, table)));
}
