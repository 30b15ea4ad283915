/**
 * Fast seeding for the scale benchmark (scale.ts): millions of rows written straight into MLflow's
 * tables behind fml's back, with the drivers fml uses (bun:sqlite, postgres.js). Through HTTP a
 * million runs take half an hour; here the SQLite seeding connection keeps its journal in memory
 * and skips the fsyncs, and PostgreSQL gets whole arrays per statement (unnest) in large transactions with the
 * foreign-key triggers off for this session only. Nothing here changes the schema.
 */

import { Database } from "bun:sqlite";
import { openPg, pgArray, type Backend, type Pg } from "./db.ts";

type Value = string | number | boolean;

export interface Seeder {
  backend: Backend;
  /** Rows of one table, all with the same columns; `types` are PostgreSQL array element types. */
  insert(table: string, columns: readonly string[], types: readonly string[], rows: Value[][]): Promise<void>;
  /** One transaction around `work` (the unit of durability while seeding). */
  transaction(work: () => Promise<void>): Promise<void>;
  query(text: string, values?: (string | number)[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/**
 * Drops the secondary indexes (MLflow's and fml's, not the primary keys) of `tables`, runs `work`,
 * and creates them again with their own definitions: one sort per index instead of millions of
 * random B-tree inserts. The schema is the same before and after.
 */
export async function withoutIndexes(seeder: Seeder, tables: readonly string[], work: () => Promise<void>): Promise<void> {
  const names = tables.map((t) => `'${t}'`).join(", ");
  const indexes =
    seeder.backend === "sqlite"
      ? await seeder.query(`SELECT name, sql AS definition FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (${names})`)
      : await seeder.query(`SELECT i.indexname AS name, i.indexdef AS definition FROM pg_indexes i
          WHERE i.schemaname = 'public' AND i.tablename IN (${names})
            AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`);
  for (const index of indexes) await seeder.query(`DROP INDEX "${String(index.name)}"`);
  try {
    await work();
  } finally {
    for (const index of indexes) await seeder.query(String(index.definition));
  }
}

/**
 * `exclusive`: no other connection is open (the server is stopped), so the journal can stay in memory
 * for the seeding, and WAL is back after it. Otherwise the seeding shares the database with a running
 * fml and only skips the fsyncs.
 */
export function sqliteSeeder(path: string, exclusive: boolean): Seeder {
  const db = new Database(path, { readwrite: true });
  db.exec("PRAGMA busy_timeout = 60000");
  db.exec("PRAGMA synchronous = OFF");
  db.exec("PRAGMA cache_size = -2097152"); // 2 GB: random run_uuid keys land all over the primary keys
  db.exec("PRAGMA temp_store = MEMORY");
  if (exclusive) {
    // Out of WAL first (MEMORY is refused straight from WAL); a rollback journal kept in memory.
    db.exec("PRAGMA journal_mode = DELETE");
    db.exec("PRAGMA journal_mode = MEMORY");
  }
  const statements = new Map<string, ReturnType<Database["prepare"]>>();
  const statement = (table: string, columns: readonly string[], count: number) => {
    const id = `${table}:${columns.join(",")}:${count}`;
    let s = statements.get(id);
    if (!s) {
      const one = `(${columns.map(() => "?").join(",")})`;
      s = db.prepare(`INSERT INTO ${table} (${columns.map((c) => `"${c}"`).join(",")}) VALUES ${Array(count).fill(one).join(",")}`);
      statements.set(id, s);
    }
    return s;
  };
  return {
    backend: "sqlite",
    async insert(table, columns, _types, rows) {
      const chunk = Math.floor(30000 / columns.length);
      for (let i = 0; i < rows.length; i += chunk) {
        const part = rows.slice(i, i + chunk);
        const values = part.flat().map((v) => (typeof v === "boolean" ? (v ? 1 : 0) : v));
        statement(table, columns, part.length).run(...(values as never[]));
      }
    },
    async transaction(work) {
      db.exec("BEGIN IMMEDIATE");
      try {
        await work();
        db.exec("COMMIT");
      } catch (error) {
        db.exec("ROLLBACK");
        throw error;
      }
    },
    async query(text, values = []) {
      return db.prepare(text).all(...(values as never[])) as Record<string, unknown>[];
    },
    async close() {
      for (const s of statements.values()) s.finalize();
      if (exclusive) {
        db.exec("PRAGMA journal_mode = WAL");
      }
      db.close();
    },
  };
}

export function pgSeeder(url: string): Seeder {
  const sql = openPg(url, 1);
  let tx: Pg | undefined;
  const session = async (run: Pg) => {
    // Both for this connection only: no FK trigger per row (the rows are made consistent), no
    // wait for the WAL flush at COMMIT.
    await run.unsafe("SET session_replication_role = replica");
    await run.unsafe("SET synchronous_commit = off");
  };
  return {
    backend: "postgresql",
    async insert(table, columns, types, rows) {
      const run = tx ?? sql;
      const chunk = 20000;
      for (let i = 0; i < rows.length; i += chunk) {
        const part = rows.slice(i, i + chunk);
        const arrays = columns.map((_, c) => pgArray(part.map((r) => r[c] as Value)));
        const sources = types.map((t, c) => `CAST(CAST($${c + 1} AS text) AS ${t}[])`).join(", ");
        await run.unsafe(`INSERT INTO ${table} (${columns.map((c) => `"${c}"`).join(", ")}) SELECT * FROM unnest(${sources})`, arrays);
      }
    },
    async transaction(work) {
      await sql.begin(async (t) => {
        tx = t as unknown as Pg;
        try {
          await session(tx);
          await work();
        } finally {
          tx = undefined;
        }
      });
    },
    async query(text, values = []) {
      return (await (tx ?? sql).unsafe(text, values)) as unknown as Record<string, unknown>[];
    },
    async close() {
      await sql.end({ timeout: 5 });
    },
  };
}

export function openSeeder(backend: Backend, location: string, exclusive: boolean): Seeder {
  return backend === "sqlite" ? sqliteSeeder(location, exclusive) : pgSeeder(location);
}

const runColumns = ["run_uuid", "name", "source_type", "source_name", "entry_point_name", "user_id", "status", "start_time", "end_time", "source_version", "lifecycle_stage", "artifact_uri", "experiment_id"];
const runTypes = ["text", "text", "text", "text", "text", "text", "text", "int8", "int8", "text", "text", "text", "int4"];
export const metricColumns = ["key", "value", "timestamp", "step", "is_nan", "run_uuid"];
export const metricTypes = ["text", "float8", "int8", "int8", "bool", "text"];

let seed = 42;
const random = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;

export interface RunShape {
  params: number;
  metrics: number;
  tags: number;
}

/**
 * `count` runs in one experiment, newest last: params p0…p{n-2} with 10 values each (ties of a
 * tenth of the runs) and `lr` nearly unique, latest metrics m0… uniform in [0, 1), tags t0… with 5
 * values and the run name tag. Only latest_metrics is written (run search never reads the
 * metrics table); `progress` hears after every transaction of `batch` runs.
 */
export async function seedRuns(
  seeder: Seeder,
  experimentId: number,
  count: number,
  shape: RunShape,
  progress: (done: number) => void = () => {},
  batch = 20000,
): Promise<void> {
  const base = 1_700_000_000_000;
  for (let start = 0; start < count; start += batch) {
    const runs: Value[][] = [];
    const params: Value[][] = [];
    const tags: Value[][] = [];
    const metrics: Value[][] = [];
    for (let i = start; i < Math.min(count, start + batch); i++) {
      const id = crypto.randomUUID().replaceAll("-", "");
      runs.push([id, `run-${i}`, "UNKNOWN", "", "", "bench", "FINISHED", base + i * 1000, base + i * 1000 + 500, "", "active", `mlflow-artifacts:/${experimentId}/${id}/artifacts`, experimentId]);
      for (let k = 0; k < shape.params; k++) {
        params.push(k === shape.params - 1 ? ["lr", random().toFixed(7), id] : [`p${k}`, `v${(i * 7 + k) % 10}`, id]);
      }
      for (let k = 0; k < shape.metrics; k++) metrics.push([`m${k}`, random(), base + i * 1000, 0, false, id]);
      for (let k = 0; k < shape.tags - 1; k++) tags.push([`t${k}`, `x${i % 5}`, id]);
      tags.push(["mlflow.runName", `run-${i}`, id]);
    }
    await seeder.transaction(async () => {
      await seeder.insert("runs", runColumns, runTypes, runs);
      await seeder.insert("params", ["key", "value", "run_uuid"], ["text", "text", "text"], params);
      await seeder.insert("tags", ["key", "value", "run_uuid"], ["text", "text", "text"], tags);
      await seeder.insert("latest_metrics", metricColumns, metricTypes, metrics);
    });
    progress(Math.min(count, start + batch));
  }
}

/**
 * `points` steps of `key` for an existing run, as a training loop logs them (one per step, the
 * timestamp rising), with latest_metrics pointing at the last one. Rows in transactions of `batch`.
 */
export async function seedHistory(seeder: Seeder, runId: string, key: string, points: number, batch = 500000): Promise<void> {
  const t0 = 1_700_000_000_000;
  for (let start = 0; start < points; start += batch) {
    const rows: Value[][] = [];
    for (let step = start; step < Math.min(points, start + batch); step++) {
      rows.push([key, Math.sin(step / 1000), t0 + step, step, false, runId]);
    }
    await seeder.transaction(() => seeder.insert("metrics", metricColumns, metricTypes, rows));
  }
  const last = points - 1;
  await seeder.transaction(() =>
    seeder.insert("latest_metrics", metricColumns, metricTypes, [[key, Math.sin(last / 1000), t0 + last, last, false, runId]]),
  );
}
