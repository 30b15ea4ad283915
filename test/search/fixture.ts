/**
 * Test databases for the search tests: an in-memory SQLite database and, when a server is
 * reachable, throw-away PostgreSQL and MySQL databases, all built from the project's head.sql,
 * plus helpers that seed runs, experiments and registry rows through
 * parameterized SQL.
 */

import mysql from "mysql2/promise";
import postgres from "postgres";
import { parseDatabaseUri } from "../../src/config.ts";
import { SESSION_SETUP } from "../../src/store/db/mysql-connect.ts";
import { openSqlite } from "../../src/runtime.ts";
import { render, sql, type Dialect, type Sql, type SqlValue } from "../../src/store/db/sql.ts";
import { fmlIndexStatements } from "../../src/store/schema/fml-indexes.ts";
import { headSchemaSql } from "../../src/store/schema/migrations.ts";
import { createMysqlTestDatabase, mysqlAvailable } from "../helpers/fixtures.ts";

export interface SearchDb {
  readonly dialect: Dialect;
  all(q: Sql): Promise<Record<string, unknown>[]>;
  run(q: Sql): Promise<void>;
  close(): Promise<void>;
}

export async function openSqliteSearchDb(): Promise<SearchDb> {
  const db = await openSqlite(":memory:");
  db.exec(await Bun.file(new URL("../../migrations/sqlite/head.sql", import.meta.url).pathname).text());
  // fml's own indexes too: its queries name some of them (INDEXED BY), as the server creates them.
  for (const statement of fmlIndexStatements("sqlite")) db.exec(statement);
  // The store opens every connection this way; LIKE is case-sensitive as in MLflow.
  db.exec("PRAGMA case_sensitive_like = ON");
  return {
    dialect: "sqlite",
    async all(q) {
      const { text, values } = render(q, "sqlite");
      return db.all(text, values);
    },
    async run(q) {
      const { text, values } = render(q, "sqlite");
      db.run(text, values);
    },
    async close() {
      db.close();
    },
  };
}

const PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres";
const PG_SCHEMA = new URL("../../migrations/postgresql/head.sql", import.meta.url).pathname;

/** Why PostgreSQL tests cannot run here, or undefined when they can. */
export async function postgresUnavailable(): Promise<string | undefined> {
  if (!(await Bun.file(PG_SCHEMA).exists())) return "migrations/postgresql/head.sql does not exist";
  const admin = postgres(PG_ADMIN_URL, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await admin`SELECT 1`;
    return undefined;
  } catch (e) {
    return `PostgreSQL is not reachable at 127.0.0.1:5432 (${(e as Error).message})`;
  } finally {
    await admin.end({ timeout: 1 });
  }
}

/** A fresh database `fml_search_test_<random>`, dropped again by close(). */
export async function openPostgresSearchDb(): Promise<SearchDb> {
  const name = `fml_search_test_${crypto.randomUUID().replace(/-/g, "").slice(0, 12)}`;
  const admin = postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const pg = postgres(`postgres://postgres@127.0.0.1:5432/${name}`, { max: 2, onnotice: () => {} });
  await pg.unsafe(await Bun.file(PG_SCHEMA).text()).simple();
  for (const statement of fmlIndexStatements("postgresql")) await pg.unsafe(statement);
  const params = (values: SqlValue[]) => values as postgres.ParameterOrJSON<never>[];
  return {
    dialect: "postgresql",
    async all(q) {
      const { text, values } = render(q, "postgresql");
      return [...(await pg.unsafe(text, params(values)))];
    },
    async run(q) {
      const { text, values } = render(q, "postgresql");
      await pg.unsafe(text, params(values));
    },
    async close() {
      await pg.end({ timeout: 5 });
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end({ timeout: 5 });
    },
  };
}

/** Why MySQL tests cannot run here, or undefined when they can. */
export async function mysqlUnavailable(): Promise<string | undefined> {
  return (await mysqlAvailable()) ? undefined : "no MySQL/MariaDB server at FML_TEST_MYSQL_URL";
}

/** A fresh utf8mb4 database `fml_test_<random>` with fml's session settings, dropped by close(). */
export async function openMysqlSearchDb(): Promise<SearchDb> {
  const db = await createMysqlTestDatabase();
  const target = parseDatabaseUri(db.url, "/");
  const conn = await mysql.createConnection({ uri: target.kind === "mysql" ? target.url : "", multipleStatements: true });
  await conn.query(SESSION_SETUP);
  await conn.query(headSchemaSql("mysql"));
  for (const statement of fmlIndexStatements("mysql")) await conn.query(statement);
  return {
    dialect: "mysql",
    async all(q) {
      const { text, values } = render(q, "mysql");
      return (await conn.query(text, values))[0] as Record<string, unknown>[];
    },
    async run(q) {
      const { text, values } = render(q, "mysql");
      await conn.query(text, values);
    },
    async close() {
      await conn.end();
      await db.drop();
    },
  };
}

// --- seeding ------------------------------------------------------------------------------------

export interface DatasetInput {
  name: string;
  digest: string;
  context?: string;
}

export interface RunRow {
  id: string;
  experimentId: number;
  lifecycle: "active" | "deleted";
  /** Also written as the mlflow.runName tag, as the store keeps them in sync. */
  name: string | null;
  status: string | null;
  userId: string | null;
  artifactUri: string | null;
  startTime: number | null;
  endTime: number | null;
  metrics: Record<string, number>;
  params: Record<string, string>;
  tags: Record<string, string | null>;
  datasets: DatasetInput[];
}

export function runRow(id: string, fields: Partial<RunRow> = {}): RunRow {
  return {
    id,
    experimentId: 0,
    lifecycle: "active",
    name: null,
    status: "FINISHED",
    userId: "alice",
    artifactUri: `file:///tmp/${id}`,
    startTime: 1000,
    endTime: null,
    metrics: {},
    params: {},
    tags: {},
    datasets: [],
    ...fields,
  };
}

export async function insertExperiment(
  db: SearchDb,
  e: { id: number; name: string; lifecycle?: "active" | "deleted"; creationTime?: number | null; lastUpdateTime?: number | null; tags?: Record<string, string> },
): Promise<void> {
  await db.run(sql`INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
    VALUES (${e.id}, ${e.name}, ${`file:///tmp/${e.id}`}, ${e.lifecycle ?? "active"}, ${e.creationTime ?? null}, ${e.lastUpdateTime ?? null})`);
  for (const [key, value] of Object.entries(e.tags ?? {})) {
    await db.run(sql`INSERT INTO experiment_tags ("key", value, experiment_id) VALUES (${key}, ${value}, ${e.id})`);
  }
}

export async function insertRuns(db: SearchDb, runs: readonly RunRow[]): Promise<void> {
  const datasets = new Map<string, string>();
  for (const r of runs) {
    await db.run(sql`INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, start_time, end_time, source_version, lifecycle_stage, artifact_uri, experiment_id)
      VALUES (${r.id}, ${r.name}, ${"LOCAL"}, ${""}, ${""}, ${r.userId}, ${r.status}, ${r.startTime}, ${r.endTime}, ${""}, ${r.lifecycle}, ${r.artifactUri}, ${r.experimentId})`);
    for (const [key, value] of Object.entries(r.metrics)) {
      const isNan = Number.isNaN(value);
      await db.run(sql`INSERT INTO latest_metrics ("key", value, timestamp, step, is_nan, run_uuid)
        VALUES (${key}, ${isNan ? 0 : value}, ${1}, ${0}, ${isNan}, ${r.id})`);
    }
    for (const [key, value] of Object.entries(r.params)) {
      await db.run(sql`INSERT INTO params ("key", value, run_uuid) VALUES (${key}, ${value}, ${r.id})`);
    }
    const tags = r.name === null ? r.tags : { "mlflow.runName": r.name, ...r.tags };
    for (const [key, value] of Object.entries(tags)) {
      await db.run(sql`INSERT INTO tags ("key", value, run_uuid) VALUES (${key}, ${value}, ${r.id})`);
    }
    for (const [i, d] of r.datasets.entries()) {
      const datasetKey = `${r.experimentId}\u0000${d.name}\u0000${d.digest}`;
      let datasetUuid = datasets.get(datasetKey);
      if (!datasetUuid) {
        datasetUuid = crypto.randomUUID();
        datasets.set(datasetKey, datasetUuid);
        await db.run(sql`INSERT INTO datasets (dataset_uuid, experiment_id, name, digest, dataset_source_type, dataset_source)
          VALUES (${datasetUuid}, ${r.experimentId}, ${d.name}, ${d.digest}, ${"local"}, ${"{}"})`);
      }
      const inputUuid = `${r.id.slice(0, 30)}-${i}`;
      await db.run(sql`INSERT INTO inputs (input_uuid, source_type, source_id, destination_type, destination_id)
        VALUES (${inputUuid}, ${"DATASET"}, ${datasetUuid}, ${"RUN"}, ${r.id})`);
      if (d.context !== undefined) {
        await db.run(sql`INSERT INTO input_tags (input_uuid, name, value) VALUES (${inputUuid}, ${"mlflow.data.context"}, ${d.context})`);
      }
    }
  }
}

export interface ModelVersionRow {
  name: string;
  version: number;
  creationTime: number;
  lastUpdatedTime: number;
  stage?: string;
  runId?: string | null;
  source?: string;
  tags?: Record<string, string>;
}

export async function insertRegisteredModel(
  db: SearchDb,
  m: { name: string; creationTime: number; lastUpdatedTime: number | null; tags?: Record<string, string> },
): Promise<void> {
  await db.run(sql`INSERT INTO registered_models (name, creation_time, last_updated_time, description) VALUES (${m.name}, ${m.creationTime}, ${m.lastUpdatedTime}, ${""})`);
  for (const [key, value] of Object.entries(m.tags ?? {})) {
    await db.run(sql`INSERT INTO registered_model_tags ("key", value, name) VALUES (${key}, ${value}, ${m.name})`);
  }
}

export async function insertModelVersion(db: SearchDb, v: ModelVersionRow): Promise<void> {
  await db.run(sql`INSERT INTO model_versions (name, version, creation_time, last_updated_time, description, user_id, current_stage, source, run_id, status)
    VALUES (${v.name}, ${v.version}, ${v.creationTime}, ${v.lastUpdatedTime}, ${""}, ${"alice"}, ${v.stage ?? "None"}, ${v.source ?? `runs:/x/${v.version}`}, ${v.runId ?? null}, ${"READY"})`);
  for (const [key, value] of Object.entries(v.tags ?? {})) {
    await db.run(sql`INSERT INTO model_version_tags ("key", value, name, version) VALUES (${key}, ${value}, ${v.name}, ${v.version})`);
  }
}

/** Column values of every row, as strings (drivers differ in integer types). */
export function column(rows: readonly Record<string, unknown>[], name: string): string[] {
  return rows.map((r) => String(r[name]));
}
