/**
 * `fml import` to and from MySQL/MariaDB, with MLflow 3.11's own databases as inputs: SQLite →
 * MySQL, PostgreSQL → MySQL, MySQL → PostgreSQL and MySQL → SQLite. Each copy is then served by
 * fml exactly as the manifest says MLflow served the input (tracking, registry, logged models,
 * traces); nanosecond span times survive digit for digit; ids are kept and new ones follow them.
 */

import { describe, expect, test } from "bun:test";
import { Database as SqliteFile } from "bun:sqlite";
import mysql from "mysql2/promise";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  copySqliteFixture,
  createMysqlTestDatabase,
  createTestDatabase,
  fixturesAvailable,
  mysqlAvailable,
  mysqlClient,
  postgresAvailable,
  readManifest,
  restoreMysqlFixture,
  restorePostgresFixture,
} from "../helpers/fixtures.ts";
import { expectedContents, registryMismatches, trackingMismatches, type ExpectedContents } from "../helpers/manifest-check.ts";
import { loggedModelMismatches } from "../helpers/logged-model-check.ts";
import { traceMismatches, type ExpectedTraces } from "../helpers/manifest-traces.ts";
import { repoRoot, startFml, type Backend, type FmlServer } from "../helpers/server.ts";

const TIMEOUT = 180_000;
/** Both MLflow 3.11 workloads: runs, datasets and the registry; logged models, traces and assessments. */
const FIXTURES = ["3.11.2.dev0", "3.11.2.dev0-mlflow3"];

async function fmlImport(input: string, output: string, ...more: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = Bun.spawn(
    [process.execPath, join(repoRoot, "src/cli/main.ts"), "import", "--input-database-uri", input, "--output-database-uri", output, ...more],
    { stdout: "pipe", stderr: "pipe" },
  );
  const [code, stdout, stderr] = await Promise.all([child.exited, new Response(child.stdout).text(), new Response(child.stderr).text()]);
  return { code, stdout, stderr };
}

async function mismatches(fml: FmlServer, expected: ExpectedContents): Promise<string[]> {
  return [
    ...(await trackingMismatches(fml, expected)),
    ...(await registryMismatches(fml, expected)),
    ...(await loggedModelMismatches(fml, expected, { artifacts: false })),
    ...(await traceMismatches(fml, expected as unknown as ExpectedTraces, { artifactSpans: false })),
  ];
}

/** Every span's nanosecond times as exact text, sorted: they must survive every copy. */
async function spanTimes(uri: string): Promise<string[]> {
  const rows: { trace_id: string; span_id: string; s: string; e: string | null }[] = [];
  if (uri.startsWith("sqlite:")) {
    const db = new SqliteFile(uri.replace(/^sqlite:\/\//, ""), { readonly: true });
    try {
      rows.push(...(db.prepare("SELECT trace_id, span_id, CAST(start_time_unix_nano AS TEXT) AS s, CAST(end_time_unix_nano AS TEXT) AS e FROM spans").all() as typeof rows));
    } finally {
      db.close();
    }
  } else if (uri.startsWith("mysql:")) {
    const conn = await mysql.createConnection(uri);
    try {
      const [found] = await conn.query("SELECT trace_id, span_id, CAST(start_time_unix_nano AS CHAR) AS s, CAST(end_time_unix_nano AS CHAR) AS e FROM spans");
      rows.push(...(found as typeof rows));
    } finally {
      await conn.end();
    }
  } else {
    const { default: postgres } = await import("postgres");
    const sql = postgres(uri, { max: 1, onnotice: () => {} });
    try {
      rows.push(...((await sql.unsafe("SELECT trace_id, span_id, start_time_unix_nano::text AS s, end_time_unix_nano::text AS e FROM spans")) as unknown as typeof rows));
    } finally {
      await sql.end();
    }
  }
  return rows.map((r) => `${r.trace_id} ${r.span_id} ${r.s} ${r.e ?? "-"}`).sort();
}

interface Place {
  url: string;
  drop(): Promise<void>;
}

function sqliteOutput(): Place {
  const dir = mkdtempSync(join(tmpdir(), "fml-import-mysql-"));
  return { url: `sqlite://${join(dir, "imported.db")}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
}

const backendOf = (uri: string): Backend => (uri.startsWith("sqlite:") ? "sqlite" : uri.startsWith("mysql:") ? "mysql" : "postgresql");

/** Imports `input` into `output`, then serves the output and checks it against the input's manifest section. */
async function importAndServe(fixture: string, inputBackend: Backend, input: Place, output: Place): Promise<void> {
  const result = await fmlImport(input.url, output.url);
  expect({ code: result.code, stderr: result.code ? result.stderr : "" }).toEqual({ code: 0, stderr: "" });
  expect(result.stdout).toContain("row counts check out");
  const manifest = readManifest(fixture);
  if (manifest.features?.traces) {
    const times = await spanTimes(input.url);
    expect(times.length).toBeGreaterThan(0);
    expect(await spanTimes(output.url)).toEqual(times);
  }
  const fml = await startFml({ backend: backendOf(output.url), databaseUri: output.url });
  try {
    expect(await mismatches(fml, expectedContents(manifest, inputBackend))).toEqual([]);
    const ids = Object.values(manifest.backends[inputBackend]?.experiment_ids_by_name ?? {}).map(Number);
    const created = await fml.api("POST", "experiments/create", { name: "after-import" });
    expect(created.body).toEqual({ experiment_id: String(Math.max(...ids) + 1) });
  } finally {
    await fml.kill();
  }
}

const withMysql = (await mysqlAvailable()) && mysqlClient() !== undefined;
const withPostgres = await postgresAvailable();
const why = !withMysql ? "no MySQL server or mysql client" : !withPostgres ? "no PostgreSQL" : !fixturesAvailable ? "no fixtures" : undefined;
if (why && process.env.CI) throw new Error(`CI needs the MySQL import tests: ${why}`);

(why ? describe.skip : describe)(`fml import with MySQL${why ? ` (skipped: ${why})` : ""}`, () => {
  for (const fixture of FIXTURES) {
    test(`MLflow ${fixture} SQLite → fresh MySQL: fml serves the manifest from the copy`, async () => {
      const input = copySqliteFixture(fixture);
      const output = await createMysqlTestDatabase();
      try {
        await importAndServe(fixture, "sqlite", { url: `sqlite://${input.path}`, drop: async () => input.remove() }, output);
      } finally {
        await output.drop();
        input.remove();
      }
    }, TIMEOUT);

    test(`MLflow ${fixture} MySQL → fresh PostgreSQL: fml serves the manifest from the copy`, async () => {
      const input = await restoreMysqlFixture(fixture);
      const output = await createTestDatabase();
      try {
        await importAndServe(fixture, "mysql", input, output);
      } finally {
        await Promise.all([input.drop(), output.drop()]);
      }
    }, TIMEOUT);
  }

  const rich = "3.11.2.dev0-mlflow3";

  test(`MLflow ${rich} PostgreSQL → fresh MySQL: fml serves the manifest from the copy`, async () => {
    const input = await restorePostgresFixture(rich);
    const output = await createMysqlTestDatabase();
    try {
      await importAndServe(rich, "postgresql", input, output);
    } finally {
      await Promise.all([input.drop(), output.drop()]);
    }
  }, TIMEOUT);

  test(`MLflow ${rich} MySQL → SQLite: fml serves the manifest from the copy`, async () => {
    const input = await restoreMysqlFixture(rich);
    const output = sqliteOutput();
    try {
      await importAndServe(rich, "mysql", input, output);
    } finally {
      await Promise.all([input.drop(), output.drop()]);
    }
  }, TIMEOUT);

  test("a non-empty MySQL output is refused; --on-conflict skip keeps its rows and adds nothing twice", async () => {
    const input = copySqliteFixture(rich);
    const output = await createMysqlTestDatabase();
    try {
      expect((await fmlImport(`sqlite://${input.path}`, output.url)).code).toBe(0);
      const again = await fmlImport(`sqlite://${input.path}`, output.url);
      expect(again.code).toBe(2);
      expect(again.stderr).toContain("is not empty");
      const skipped = await fmlImport(`sqlite://${input.path}`, output.url, "--on-conflict", "skip");
      expect({ code: skipped.code, stderr: skipped.code ? skipped.stderr : "" }).toEqual({ code: 0, stderr: "" });
      expect(skipped.stdout).toMatch(/imported 0 rows/);
    } finally {
      await output.drop();
      input.remove();
    }
  }, TIMEOUT);

  test("a MySQL input at an older MLflow revision is refused and left unchanged", async () => {
    const input = await restoreMysqlFixture(rich);
    const output = await createMysqlTestDatabase();
    try {
      const conn = await mysql.createConnection(input.url);
      await conn.query("UPDATE alembic_version SET version_num = 'c8d9e0f1a2b3'");
      await conn.end();
      const result = await fmlImport(input.url, output.url);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain("revision c8d9e0f1a2b3");
      expect(result.stderr).toContain("never changes its input");
    } finally {
      await Promise.all([input.drop(), output.drop()]);
    }
  }, TIMEOUT);
});
