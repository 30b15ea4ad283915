/**
 * Direct database access for the benchmark: fresh databases, MLflow's head schema, seeding rows
 * without HTTP, counting what was stored. Same drivers as fml (bun:sqlite, postgres.js, mysql2).
 */

import { Database } from "bun:sqlite";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import mysql from "mysql2/promise";
import postgres from "postgres";

export type Backend = "sqlite" | "postgresql" | "mysql";
export type Pg = postgres.Sql<Record<string, never>>;

export const repoRoot = resolve(import.meta.dir, "../..");
export const postgresAdminUrl =
  process.env.FML_BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export const mysqlAdminUrl = process.env.FML_BENCH_MYSQL_URL ?? "mysql://root@127.0.0.1:3306/mysql";

/** What every fml MySQL session runs first (mysql-connect.ts), so the harness's SQL reads the same. */
export const MYSQL_SESSION =
  "SET SESSION sql_mode = 'ANSI_QUOTES,PIPES_AS_CONCAT,STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION,NO_AUTO_VALUE_ON_ZERO'; " +
  "SET SESSION time_zone = '+00:00'; SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED";

export function openMysql(url: string, max = 1): mysql.Pool {
  const pool = mysql.createPool({ uri: url, connectionLimit: max, multipleStatements: true, supportBigNumbers: true });
  pool.pool.on("connection", (connection) => connection.query(MYSQL_SESSION, () => undefined));
  return pool;
}

/** A fresh, empty utf8mb4 MySQL database named fml_bench_<random>; `drop` removes it. */
export async function createMysqlDatabase(): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const name = `fml_bench_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const admin = await mysql.createConnection(mysqlAdminUrl);
  await admin.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4`);
  await admin.end();
  const url = new URL(mysqlAdminUrl);
  url.pathname = `/${name}`;
  url.search = "?charset=utf8mb4";
  return {
    name,
    url: url.toString(),
    async drop() {
      const conn = await mysql.createConnection(mysqlAdminUrl);
      await conn.query(`DROP DATABASE IF EXISTS ${name}`);
      await conn.end();
    },
  };
}

export function headSchema(backend: Backend): string {
  return readFileSync(resolve(repoRoot, `migrations/${backend}/head.sql`), "utf8");
}

export function openPg(url: string, max = 1): Pg {
  return postgres(url, { max, onnotice: () => {}, idle_timeout: 5 }) as Pg;
}

/** A fresh, empty PostgreSQL database named fml_bench_<random>; `drop` removes it. */
export async function createPgDatabase(): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const name = `fml_bench_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const admin = openPg(postgresAdminUrl);
  await admin.unsafe(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    name,
    url: postgresAdminUrl.replace(/\/[^/]*$/, `/${name}`),
    async drop() {
      const sql = openPg(postgresAdminUrl);
      await sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await sql.end();
    },
  };
}

export function openSqliteFile(path: string): Database {
  const db = new Database(path, { create: true, readwrite: true });
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec("PRAGMA busy_timeout = 20000");
  db.exec("PRAGMA foreign_keys = ON");
  return db;
}

/** A PostgreSQL array literal bound as one text parameter, as fml's `bulkRows` does. */
export function pgArray(values: readonly (string | number | boolean)[]): string {
  return `{${values
    .map((v) =>
      typeof v === "string" ? `"${v.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"` : typeof v === "boolean" ? (v ? "t" : "f") : String(v),
    )
    .join(",")}}`;
}

/** Anything that holds rows of one table: both drivers behind one small interface for seeding. */
export interface Target {
  backend: Backend;
  /** Inserts rows (all with the same columns) in chunks; `types` are PostgreSQL array element types. */
  insert(table: string, columns: string[], types: string[], rows: (string | number | boolean)[][]): Promise<void>;
  count(query: string): Promise<number>;
  /** Runs a statement and returns its result rows (EXPLAIN and friends). */
  query(text: string, values?: (string | number)[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export function sqliteTarget(path: string): Target {
  const db = openSqliteFile(path);
  return {
    backend: "sqlite",
    async insert(table, columns, _types, rows) {
      const perRow = `(${columns.map(() => "?").join(", ")})`;
      const chunk = Math.floor(30000 / columns.length);
      db.exec("BEGIN IMMEDIATE");
      try {
        for (let i = 0; i < rows.length; i += chunk) {
          const part = rows.slice(i, i + chunk);
          const text = `INSERT INTO ${table} (${columns.map((c) => `"${c}"`).join(", ")}) VALUES ${part.map(() => perRow).join(", ")}`;
          db.prepare(text).run(...(part.flat().map((v) => (typeof v === "boolean" ? (v ? 1 : 0) : v)) as never[]));
        }
        db.exec("COMMIT");
      } catch (error) {
        db.exec("ROLLBACK");
        throw error;
      }
    },
    async count(query) {
      return Number(Object.values(db.prepare(query).get() as object)[0]);
    },
    async query(text, values = []) {
      return db.prepare(text).all(...(values as never[])) as Record<string, unknown>[];
    },
    async close() {
      db.close();
    },
  };
}

export function pgTarget(url: string): Target {
  const sql = openPg(url, 2);
  return {
    backend: "postgresql",
    async insert(table, columns, types, rows) {
      const chunk = 20000;
      for (let i = 0; i < rows.length; i += chunk) {
        const part = rows.slice(i, i + chunk);
        const arrays = columns.map((_, c) => pgArray(part.map((r) => r[c] as string | number | boolean)));
        const sources = types.map((t, c) => `CAST(CAST($${c + 1} AS text) AS ${t}[])`).join(", ");
        await sql.unsafe(
          `INSERT INTO ${table} (${columns.map((c) => `"${c}"`).join(", ")}) SELECT * FROM unnest(${sources})`,
          arrays,
        );
      }
    },
    async count(query) {
      const [row] = await sql.unsafe(query);
      return Number(Object.values(row as object)[0]);
    },
    async query(text, values = []) {
      return (await sql.unsafe(text, values)) as unknown as Record<string, unknown>[];
    },
    async close() {
      await sql.end({ timeout: 2 });
    },
  };
}

export function mysqlTarget(url: string): Target {
  const pool = openMysql(url, 2);
  return {
    backend: "mysql",
    async insert(table, columns, _types, rows) {
      const chunk = Math.floor(30000 / columns.length);
      const perRow = `(${columns.map(() => "?").join(", ")})`;
      for (let i = 0; i < rows.length; i += chunk) {
        const part = rows.slice(i, i + chunk);
        await pool.query(
          `INSERT INTO ${table} (${columns.map((c) => `\`${c}\``).join(", ")}) VALUES ${part.map(() => perRow).join(", ")}`,
          part.flat(),
        );
      }
    },
    async count(query) {
      const [rows] = await pool.query(query);
      return Number(Object.values((rows as object[])[0] as object)[0]);
    },
    async query(text, values = []) {
      return (await pool.query(text, values))[0] as Record<string, unknown>[];
    },
    async close() {
      await pool.end();
    },
  };
}

export function openTarget(backend: Backend, location: string): Target {
  return backend === "sqlite" ? sqliteTarget(location) : backend === "mysql" ? mysqlTarget(location) : pgTarget(location);
}

/** Fresh planner statistics after seeding, as fml keeps them (ANALYZE; MySQL: ANALYZE TABLE). */
export async function analyze(target: Target): Promise<void> {
  if (target.backend === "postgresql") await target.query("ANALYZE");
  if (target.backend === "mysql") await target.query("ANALYZE TABLE runs, params, tags, metrics, latest_metrics");
}

const metricColumns = ["key", "value", "timestamp", "step", "is_nan", "run_uuid"];
const metricTypes = ["text", "float8", "int8", "int8", "bool", "text"];

/**
 * Seeds `runs` runs with 10 params, 10 metrics and 5 tags each into an experiment: the runs table
 * and MLflow's side tables directly (with latest_metrics, as logBatch would leave them).
 */
export async function seedSearchRuns(target: Target, experimentId: number, runs: number): Promise<void> {
  const now = Date.now();
  const batch = 5000;
  let seed = 42;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  for (let start = 0; start < runs; start += batch) {
    const runRows: (string | number)[][] = [];
    const params: (string | number)[][] = [];
    const tags: (string | number)[][] = [];
    const metrics: (string | number | boolean)[][] = [];
    for (let i = start; i < Math.min(runs, start + batch); i++) {
      const id = crypto.randomUUID().replaceAll("-", "");
      runRows.push([id, `run-${i}`, "UNKNOWN", "", "", "bench", "FINISHED", now - i * 1000, now - i * 1000 + 500, "", "active", `mlflow-artifacts:/${experimentId}/${id}/artifacts`, experimentId]);
      for (let k = 0; k < 10; k++) params.push([`p${k}`, `v${Math.floor(random() * 10)}`, id]);
      for (let k = 0; k < 5; k++) tags.push([`t${k}`, `tag-${i % (k + 2)}`, id]);
      tags.push(["mlflow.runName", `run-${i}`, id]);
      for (let k = 0; k < 10; k++) metrics.push([`m${k}`, random(), now, 9, false, id]);
    }
    await target.insert(
      "runs",
      ["run_uuid", "name", "source_type", "source_name", "entry_point_name", "user_id", "status", "start_time", "end_time", "source_version", "lifecycle_stage", "artifact_uri", "experiment_id"],
      ["text", "text", "text", "text", "text", "text", "text", "int8", "int8", "text", "text", "text", "int4"],
      runRows,
    );
    await target.insert("params", ["key", "value", "run_uuid"], ["text", "text", "text"], params);
    await target.insert("tags", ["key", "value", "run_uuid"], ["text", "text", "text"], tags);
    await target.insert("metrics", metricColumns, metricTypes, metrics);
    await target.insert("latest_metrics", metricColumns, metricTypes, metrics);
  }
}

/** Seeds `points` steps of one metric key for an existing run (history and bulk-interval). */
export async function seedHistory(target: Target, runId: string, key: string, points: number): Promise<void> {
  const now = Date.now();
  const chunk = 100000;
  for (let start = 0; start < points; start += chunk) {
    const rows: (string | number | boolean)[][] = [];
    for (let step = start; step < Math.min(points, start + chunk); step++) {
      rows.push([key, Math.sin(step / 1000), now + step, step, false, runId]);
    }
    await target.insert("metrics", metricColumns, metricTypes, rows);
  }
  const last = points - 1;
  await target.insert("latest_metrics", metricColumns, metricTypes, [[key, Math.sin(last / 1000), now + last, last, false, runId]]);
}
