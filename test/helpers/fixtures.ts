/**
 * The shared real-MLflow fixture databases (../shared/fixtures/mlflow-dbs beside the repository, or
 * FML_FIXTURES_DIR): which versions exist, their manifests, and throw-away copies to work on, a
 * SQLite file in a temp directory, a PostgreSQL database `fml_test_<random>` restored from the dump, or
 * a MySQL database loaded from the mysqldump with the `mysql` client. The fixtures themselves are
 * never written.
 */

import { describe, test } from "bun:test";
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import mysql from "mysql2/promise";
import postgres from "postgres";

export const repoRoot = resolve(import.meta.dir, "../..");
export const fixturesRoot =
  process.env.FML_FIXTURES_DIR ?? resolve(repoRoot, "../shared/fixtures/mlflow-dbs");
export const postgresAdminUrl =
  process.env.FML_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
/** The MySQL/MariaDB server the tests make their databases on (root, no password, as CI has it). */
export const mysqlAdminUrl = process.env.FML_TEST_MYSQL_URL ?? "mysql://root@127.0.0.1:3306/mysql";

export interface BackendSection {
  file: string;
  alembic_revision: string;
  table_row_counts: Record<string, number>;
  run_ids_by_name: Record<string, string>;
  experiment_ids_by_name: Record<string, string>;
  expected: Record<string, unknown>;
  expected_after_upgrade?: {
    mlflow_version: string;
    alembic_revision: string;
    table_row_counts?: Record<string, number>;
    expected: Record<string, unknown>;
  };
}

export interface FixtureManifest {
  format_version: number;
  mlflow_version: string;
  alembic_revision: string;
  features: Record<string, boolean>;
  backends: { sqlite: BackendSection; postgresql: BackendSection; mysql?: BackendSection };
  [key: string]: unknown;
}

/** Version folders that hold a manifest, oldest first (by numeric version). */
export function fixtureVersions(): string[] {
  if (!existsSync(fixturesRoot)) return [];
  return readdirSync(fixturesRoot, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(fixturesRoot, entry.name, "manifest.json")))
    .map((entry) => entry.name)
    .sort(compareVersions);
}

function compareVersions(a: string, b: string): number {
  const parts = (v: string) => v.split(/[^0-9]+/).filter(Boolean).map(Number);
  const [pa, pb] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? -1) - (pb[i] ?? -1);
    if (d !== 0) return d;
  }
  return a.localeCompare(b);
}

/**
 * Whether the fixture databases are here. A clone without `../shared` runs every other test and
 * lists these as skipped, with the reason; CI lays `shared/` beside the clone, so there a missing
 * folder is an error rather than a skip.
 */
export const fixturesAvailable = fixtureVersions().length > 0;
export const fixturesMissing =
  `skipped: no MLflow fixture databases at ${fixturesRoot}; ` +
  "set FML_FIXTURES_DIR or put the shared/ folder beside the repository";

function checkFixtures(): void {
  if (!fixturesAvailable && process.env.CI) {
    throw new Error(`CI needs the MLflow fixture databases, and ${fixturesRoot} holds none`);
  }
}

/** A describe block that needs the fixtures: skipped, with the reason in its title, without them. */
export function describeWithFixtures(title: string, fn: () => void): void {
  checkFixtures();
  if (fixturesAvailable) describe(title, fn);
  // Its tests are not declared (they read the fixtures to name themselves): one stands for them.
  else describe.skip(title, () => test(`every test of this group (${fixturesMissing})`, () => {}));
}

/** A test that needs the fixtures: skipped, with the reason in its title, without them. */
export function testWithFixtures(title: string, fn: () => Promise<void> | void, timeout?: number): void {
  checkFixtures();
  if (fixturesAvailable) test(title, fn, timeout);
  else test.skip(`${title} (${fixturesMissing})`, fn);
}

export function fixturePath(version: string, file: string): string {
  return join(fixturesRoot, version, file);
}

const manifests = new Map<string, FixtureManifest>();

export function readManifest(version: string): FixtureManifest {
  let manifest = manifests.get(version);
  if (!manifest) {
    manifest = JSON.parse(readFileSync(fixturePath(version, "manifest.json"), "utf8")) as FixtureManifest;
    manifests.set(version, manifest);
  }
  return manifest;
}

/** A writable copy of a fixture's mlflow.db in a fresh temp directory; `remove()` deletes it. */
export function copySqliteFixture(version: string): { path: string; dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "fml-fixture-"));
  const path = join(dir, "mlflow.db");
  copyFileSync(fixturePath(version, "mlflow.db"), path);
  chmodSync(path, 0o644); // the fixtures are read-only; the copy must not be
  return { path, dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function databaseUrl(name: string): string {
  const url = new URL(postgresAdminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** Creates an empty database `fml_test_<random>`. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `fml_test_${crypto.randomUUID().replace(/-/g, "").slice(0, 16)}`;
  const admin = postgres(postgresAdminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: databaseUrl(name),
    async drop() {
      const sql = postgres(postgresAdminUrl, { max: 1, onnotice: () => {} });
      try {
        await sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await sql.end();
      }
    },
  };
}

/** A new test database holding a fixture's PostgreSQL dump (the driver-loadable inserts variant). */
export async function restorePostgresFixture(version: string): Promise<TestDatabase> {
  const db = await createTestDatabase();
  // The dump empties search_path for its session: give it a connection of its own.
  const loader = postgres(db.url, { max: 1, onnotice: () => {} });
  try {
    await loader.unsafe(readFileSync(fixturePath(version, "mlflow.pgdump.inserts.sql"), "utf8"));
  } catch (error) {
    await db.drop();
    throw error;
  } finally {
    await loader.end();
  }
  return db;
}

let reachable: boolean | undefined;

export async function postgresAvailable(): Promise<boolean> {
  if (reachable !== undefined) return reachable;
  const sql = postgres(postgresAdminUrl, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await sql`SELECT 1`;
    reachable = true;
  } catch {
    reachable = false;
  } finally {
    await sql.end({ timeout: 1 });
  }
  return reachable;
}

// ---------------------------------------------------------------------------------------------
// MySQL / MariaDB

function mysqlAdmin(): Promise<mysql.Connection> {
  const url = new URL(mysqlAdminUrl);
  return mysql.createConnection({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username || "root"),
    password: decodeURIComponent(url.password),
    connectTimeout: 3000,
  });
}

export function mysqlDatabaseUrl(name: string): string {
  const url = new URL(mysqlAdminUrl);
  url.pathname = `/${name}`;
  url.search = "?charset=utf8mb4";
  return url.toString();
}

let mysqlReachable: boolean | undefined;

export async function mysqlAvailable(): Promise<boolean> {
  if (mysqlReachable !== undefined) return mysqlReachable;
  try {
    const admin = await mysqlAdmin();
    await admin.query("SELECT 1");
    await admin.end();
    mysqlReachable = true;
  } catch {
    mysqlReachable = false;
  }
  return mysqlReachable;
}

/** Creates an empty utf8mb4 database `fml_test_<random>`, as MLflow's docs ask for one. */
export async function createMysqlTestDatabase(): Promise<TestDatabase> {
  const name = `fml_test_${crypto.randomUUID().replace(/-/g, "").slice(0, 16)}`;
  const admin = await mysqlAdmin();
  try {
    await admin.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: mysqlDatabaseUrl(name),
    async drop() {
      const conn = await mysqlAdmin();
      try {
        await conn.query(`DROP DATABASE IF EXISTS ${name}`);
      } finally {
        await conn.end();
      }
    },
  };
}

/** The `mysql` (or `mariadb`) command-line client, which the dumps need for their DELIMITER lines. */
export function mysqlClient(): string | undefined {
  for (const name of ["mysql", "mariadb"]) {
    const found = Bun.which(name);
    if (found) return found;
  }
  return undefined;
}

/** Runs a script with the `mysql` client into `database`; throws with its stderr on failure. */
export async function runMysqlClient(database: string, script: string): Promise<void> {
  const client = mysqlClient();
  if (!client) throw new Error("no mysql command-line client");
  const url = new URL(mysqlAdminUrl);
  const args = [client, "-h", url.hostname, "-P", url.port || "3306", "-u", decodeURIComponent(url.username || "root")];
  if (url.password) args.push(`-p${decodeURIComponent(url.password)}`);
  const child = Bun.spawn([...args, "--default-character-set=utf8mb4", database], {
    stdin: new TextEncoder().encode(script),
    stdout: "ignore",
    stderr: "pipe",
  });
  const [code, stderr] = await Promise.all([child.exited, new Response(child.stderr).text()]);
  if (code !== 0) throw new Error(`mysql client failed (${code}): ${stderr}`);
}

/** A new test database holding a fixture's MySQL dump, loaded with the `mysql` client. */
export async function restoreMysqlFixture(version: string): Promise<TestDatabase> {
  const db = await createMysqlTestDatabase();
  try {
    await runMysqlClient(db.name, readFileSync(fixturePath(version, "mlflow.mysqldump.sql"), "utf8"));
  } catch (error) {
    await db.drop();
    throw error;
  }
  return db;
}

/** Runs one statement on a MySQL test database (`?` parameters) and returns its rows. */
export async function mysqlQuery(url: string, text: string, values: unknown[] = []): Promise<Record<string, unknown>[]> {
  const conn = await mysql.createConnection(url);
  try {
    const [rows] = await conn.query(text, values);
    return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
  } finally {
    await conn.end();
  }
}
