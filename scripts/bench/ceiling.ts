/**
 * The ceiling: workload 1's rows inserted straight into a fresh database with MLflow's schema, by
 * the driver fml uses, in one process and with fml's statements: per transaction, the run's
 * lifecycle check, 1,000 metric rows (multi-row VALUES on SQLite and MySQL, unnest of array
 * literals on PostgreSQL) and the latest_metrics upsert. Big-transaction variants put `batchesPerTransaction`
 * batches in one transaction, either from one run (`shape: "run"`, one transaction per client as
 * now) or one batch from each of the runs in turn (`shape: "group"`, a single writer: what a
 * group-committing fml would send). Prints one JSON result:
 *
 *   bun scripts/bench/ceiling.ts '{"backend":"sqlite","location":"/tmp/x.db","durationMs":5000}'
 */

import { rmSync } from "node:fs";
import type { PoolConnection } from "mysql2/promise";
import type postgres from "postgres";
import { headSchema, openMysql, openPg, openSqliteFile, pgArray, type Backend } from "./db.ts";

export interface CeilingSpec {
  backend: Backend;
  /** SQLite file path, or PostgreSQL or MySQL URL of an empty database. */
  location: string;
  durationMs: number;
  clients?: number;
  batchesPerTransaction?: number;
  shape?: "run" | "group";
  /** PostgreSQL or MySQL connections (fml's default pool is 10). */
  poolMax?: number;
}

const KEYS = 10;
const STEPS = 100;
const ROWS = KEYS * STEPS;

const upsertLatest = `
  ON CONFLICT ("key", run_uuid) DO UPDATE SET
    value = excluded.value, timestamp = excluded.timestamp, step = excluded.step, is_nan = excluded.is_nan
  WHERE excluded.step > latest_metrics.step
    OR (excluded.step = latest_metrics.step
        AND (latest_metrics.timestamp IS NULL OR excluded.timestamp > latest_metrics.timestamp
             OR (excluded.timestamp = latest_metrics.timestamp AND excluded.value > latest_metrics.value)))`;

type Row = [string, number, number, number, boolean, string];

function batch(runId: string, i: number, base: number): { rows: Row[]; latest: Row[] } {
  const rows: Row[] = [];
  for (let k = 0; k < KEYS; k++) {
    for (let s = 0; s < STEPS; s++) {
      const step = i * STEPS + s;
      rows.push([`metric_${k}`, Math.random(), base + step, step, false, runId]);
    }
  }
  const latest = Array.from({ length: KEYS }, (_, k) => rows[k * STEPS + STEPS - 1] as Row);
  return { rows, latest };
}

const runIds = (n: number): string[] => Array.from({ length: n }, () => crypto.randomUUID().replaceAll("-", ""));

async function sqliteCeiling(spec: CeilingSpec) {
  // Always from empty, also when run.ts retries on the same location.
  for (const suffix of ["", "-wal", "-shm"]) rmSync(spec.location + suffix, { force: true });
  const db = openSqliteFile(spec.location);
  db.exec(headSchema("sqlite"));
  const now = Date.now();
  db.prepare(
    "INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time, last_update_time) VALUES ('ceiling', '', 'active', ?, ?)",
  ).run(now, now);
  const experimentId = (db.prepare("SELECT max(experiment_id) AS id FROM experiments").get() as { id: number }).id;
  const ids = runIds(spec.clients ?? 20);
  for (const id of ids) {
    db.prepare(
      "INSERT INTO runs (run_uuid, name, status, start_time, lifecycle_stage, artifact_uri, experiment_id) VALUES (?, ?, 'RUNNING', ?, 'active', '', ?)",
    ).run(id, id, now, experimentId);
  }
  const values = (n: number): string => Array.from({ length: n }, () => "(?, ?, ?, ?, ?, ?)").join(", ");
  const check = db.prepare("SELECT lifecycle_stage FROM runs WHERE run_uuid = ?");
  const insert = db.prepare(
    `INSERT INTO metrics ("key", value, timestamp, step, is_nan, run_uuid) VALUES ${values(ROWS)} ON CONFLICT DO NOTHING`,
  );
  const latest = db.prepare(
    `INSERT INTO latest_metrics ("key", value, timestamp, step, is_nan, run_uuid) VALUES ${values(KEYS)} ${upsertLatest}`,
  );
  const bind = (rows: Row[]): never[] => rows.flat().map((v) => (typeof v === "boolean" ? (v ? 1 : 0) : v)) as never[];
  const perTx = spec.batchesPerTransaction ?? 1;
  const steps = ids.map(() => 0);
  let points = 0;
  let transactions = 0;
  const started = performance.now();
  const deadline = started + spec.durationMs;
  // Round-robin over the runs, as 20 clients queued behind one writer would be served.
  for (let turn = 0; performance.now() < deadline; turn++) {
    db.exec("BEGIN IMMEDIATE");
    for (let b = 0; b < perTx; b++) {
      const c = spec.shape === "group" ? b % ids.length : turn % ids.length;
      const runId = ids[c] as string;
      if (b === 0 || spec.shape === "group") check.get(runId);
      const { rows, latest: newest } = batch(runId, steps[c]!++, now);
      insert.run(...bind(rows));
      latest.run(...bind(newest));
      points += rows.length;
    }
    db.exec("COMMIT");
    transactions++;
  }
  const seconds = (performance.now() - started) / 1000;
  const stored = Number((db.prepare("SELECT count(*) AS n FROM metrics").get() as { n: number }).n);
  db.close();
  return { pointsPerSecond: Math.round(points / seconds), points, stored, transactions, seconds, rowsPerTransaction: ROWS * perTx };
}

async function postgresCeiling(spec: CeilingSpec) {
  const sql = openPg(spec.location, spec.poolMax ?? 10);
  await sql.unsafe("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public");
  await sql.unsafe(headSchema("postgresql"));
  const now = Date.now();
  const [experiment] = await sql.unsafe(
    "INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time, last_update_time) VALUES ('ceiling', '', 'active', $1, $2) RETURNING experiment_id",
    [now, now],
  );
  const ids = runIds(spec.clients ?? 20);
  for (const id of ids) {
    await sql.unsafe(
      "INSERT INTO runs (run_uuid, name, status, start_time, lifecycle_stage, artifact_uri, experiment_id) VALUES ($1, $1, 'RUNNING', $2, 'active', '', $3)",
      [id, now, (experiment as unknown as { experiment_id: number }).experiment_id],
    );
  }
  const types = ["text", "float8", "int8", "int8", "bool", "text"];
  const source = types.map((t, i) => `CAST(CAST($${i + 1} AS text) AS ${t}[])`).join(", ");
  const insertText = `INSERT INTO metrics ("key", value, timestamp, step, is_nan, run_uuid) SELECT * FROM unnest(${source}) ON CONFLICT DO NOTHING`;
  const latestText = `INSERT INTO latest_metrics ("key", value, timestamp, step, is_nan, run_uuid) SELECT * FROM unnest(${source}) ${upsertLatest}`;
  const arrays = (rows: Row[]): string[] => types.map((_, c) => pgArray(rows.map((r) => r[c] as string | number | boolean)));
  const perTx = spec.batchesPerTransaction ?? 1;
  let points = 0;
  let transactions = 0;
  const started = performance.now();
  const deadline = started + spec.durationMs;
  const steps = ids.map(() => 0);
  const writeBatch = async (tx: postgres.TransactionSql, c: number) => {
    const runId = ids[c] as string;
    await tx.unsafe("SELECT lifecycle_stage FROM runs WHERE run_uuid = $1", [runId], { prepare: true });
    const { rows, latest } = batch(runId, steps[c]!++, now);
    await tx.unsafe(insertText, arrays(rows), { prepare: true });
    await tx.unsafe(latestText, arrays(latest), { prepare: true });
    points += rows.length;
  };
  // "group": one writer, each transaction one batch from each run; otherwise one client per run.
  const writers = spec.shape === "group" ? [0] : ids.map((_, c) => c);
  await Promise.all(
    writers.map(async (c) => {
      while (performance.now() < deadline) {
        await sql.begin(async (tx) => {
          for (let b = 0; b < perTx; b++) await writeBatch(tx, spec.shape === "group" ? b % ids.length : c);
        });
        transactions++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const [count] = await sql.unsafe("SELECT count(*)::int8 AS n FROM metrics");
  await sql.end({ timeout: 2 });
  return {
    pointsPerSecond: Math.round(points / seconds),
    points,
    stored: Number((count as unknown as { n: string }).n),
    transactions,
    seconds,
    rowsPerTransaction: ROWS * perTx,
  };
}

/** fml's MySQL upsert of latest_metrics (logging.ts): one comparison, then every column reads it. */
const mysqlUpsertLatest = `
  ON DUPLICATE KEY UPDATE
    is_nan = IF(@fml_newer := (VALUES(step) > latest_metrics.step
      OR (VALUES(step) = latest_metrics.step
          AND (latest_metrics.timestamp IS NULL OR VALUES(timestamp) > latest_metrics.timestamp
               OR (VALUES(timestamp) = latest_metrics.timestamp AND VALUES(value) > latest_metrics.value)))),
      VALUES(is_nan), is_nan),
    value = IF(@fml_newer, VALUES(value), value),
    timestamp = IF(@fml_newer, VALUES(timestamp), timestamp),
    step = IF(@fml_newer, VALUES(step), step)`;

/** As fml sends them through mysql2: client-side bound text, one connection per transaction. */
async function mysqlCeiling(spec: CeilingSpec) {
  const pool = openMysql(spec.location, spec.poolMax ?? 10);
  const [tables] = await pool.query("SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE()");
  const names = (tables as { t: string }[]).map((r) => `\`${r.t}\``);
  if (names.length > 0) await pool.query(`SET FOREIGN_KEY_CHECKS = 0; DROP TABLE ${names.join(", ")}; SET FOREIGN_KEY_CHECKS = 1`);
  await pool.query(headSchema("mysql"));
  const now = Date.now();
  const [created] = await pool.query(
    "INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time, last_update_time) VALUES ('ceiling', '', 'active', ?, ?)",
    [now, now],
  );
  const experimentId = (created as { insertId: number }).insertId;
  const ids = runIds(spec.clients ?? 20);
  for (const id of ids) {
    await pool.query(
      "INSERT INTO runs (run_uuid, name, status, start_time, lifecycle_stage, artifact_uri, experiment_id) VALUES (?, ?, 'RUNNING', ?, 'active', '', ?)",
      [id, id, now, experimentId],
    );
  }
  const values = (n: number): string => Array.from({ length: n }, () => "(?, ?, ?, ?, ?, ?)").join(", ");
  const insertText = `INSERT IGNORE INTO metrics ("key", value, timestamp, step, is_nan, run_uuid) VALUES ${values(ROWS)}`;
  const latestText = `INSERT INTO latest_metrics ("key", value, timestamp, step, is_nan, run_uuid) VALUES ${values(KEYS)} ${mysqlUpsertLatest}`;
  const perTx = spec.batchesPerTransaction ?? 1;
  let points = 0;
  let transactions = 0;
  const started = performance.now();
  const deadline = started + spec.durationMs;
  const steps = ids.map(() => 0);
  const writeBatch = async (conn: PoolConnection, c: number) => {
    const runId = ids[c] as string;
    await conn.query("SELECT lifecycle_stage FROM runs WHERE run_uuid = ?", [runId]);
    const { rows, latest } = batch(runId, steps[c]!++, now);
    await conn.query(insertText, rows.flat());
    await conn.query(latestText, latest.flat());
    points += rows.length;
  };
  const writers = spec.shape === "group" ? [0] : ids.map((_, c) => c);
  await Promise.all(
    writers.map(async (c) => {
      while (performance.now() < deadline) {
        const conn = await pool.getConnection();
        try {
          await conn.query("START TRANSACTION");
          for (let b = 0; b < perTx; b++) await writeBatch(conn, spec.shape === "group" ? b % ids.length : c);
          await conn.query("COMMIT");
        } finally {
          conn.release();
        }
        transactions++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const [count] = await pool.query("SELECT count(*) AS n FROM metrics");
  await pool.end();
  return {
    pointsPerSecond: Math.round(points / seconds),
    points,
    stored: Number((count as { n: number }[])[0]?.n),
    transactions,
    seconds,
    rowsPerTransaction: ROWS * perTx,
  };
}

if (import.meta.main) {
  const spec = JSON.parse(process.argv[2] ?? "{}") as CeilingSpec;
  const result =
    spec.backend === "sqlite" ? await sqliteCeiling(spec) : spec.backend === "mysql" ? await mysqlCeiling(spec) : await postgresCeiling(spec);
  process.stdout.write(JSON.stringify(result));
}
