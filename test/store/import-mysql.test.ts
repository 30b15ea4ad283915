/**
 * `fml import` to and from MySQL on real MLflow databases: SQLite and PostgreSQL fixtures copied
 * into a fresh MySQL database, and MLflow's own MySQL fixtures (loaded with the mysql client) copied
 * into PostgreSQL and SQLite, are each served by fml exactly as the manifest says MLflow served the
 * input; span times survive digit for digit and experiment ids are kept.
 */

import { afterAll, describe, expect, test } from "bun:test";
import { Database as SqliteFile } from "bun:sqlite";
import { join } from "node:path";
import postgres from "postgres";
import {
  copySqliteFixture,
  createMysqlTestDatabase,
  createTestDatabase,
  describeWithFixtures,
  mysqlAvailable,
  mysqlClient,
  mysqlQuery,
  postgresAvailable,
  readManifest,
  restoreMysqlFixture,
  restorePostgresFixture,
  type TestDatabase,
} from "../helpers/fixtures.ts";
import { expectedContents, registryMismatches, trackingMismatches, type ExpectedContents } from "../helpers/manifest-check.ts";
import { loggedModelMismatches } from "../helpers/logged-model-check.ts";
import { traceMismatches, type ExpectedTraces } from "../helpers/manifest-traces.ts";
import { repoRoot, startFml, type Backend, type FmlServer } from "../helpers/server.ts";

const TIMEOUT = 120_000;
const CLASSIC = "3.11.2.dev0";
const MLFLOW3 = "3.11.2.dev0-mlflow3";

async function fmlImport(input: string, output: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = Bun.spawn(
    [process.execPath, join(repoRoot, "src/cli/main.ts"), "import", "--input-database-uri", input, "--output-database-uri", output],
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
    // The import copies databases, not artifacts: spans kept as traces.json are not there.
    ...(await traceMismatches(fml, expected as unknown as ExpectedTraces, { artifactSpans: false })),
  ];
}

/** Every span's nanosecond times as text, sorted in JavaScript so no collation decides the order. */
async function spanTimes(database: { kind: Backend; uri: string }): Promise<string[]> {
  const select = (text: string) =>
    `SELECT trace_id, span_id, CAST(start_time_unix_nano AS ${text}) AS s, CAST(end_time_unix_nano AS ${text}) AS e FROM spans`;
  let rows: Record<string, unknown>[];
  if (database.kind === "sqlite") {
    const db = new SqliteFile(database.uri.replace(/^sqlite:\/\/\//, ""), { readonly: true });
    rows = db.prepare(select("TEXT")).all() as Record<string, unknown>[];
    db.close();
  } else if (database.kind === "mysql") {
    rows = await mysqlQuery(database.uri, select("CHAR"));
  } else {
    const sql = postgres(database.uri, { max: 1, onnotice: () => {} });
    rows = [...(await sql.unsafe(select("TEXT")))];
    await sql.end();
  }
  return rows.map((r) => `${String(r.trace_id)} ${String(r.span_id)} ${String(r.s)} ${String(r.e ?? "-")}`).sort();
}

const ready = (await mysqlAvailable()) && mysqlClient() !== undefined && (await postgresAvailable());
if (!ready && process.env.CI) throw new Error("CI needs MySQL (server and client) and PostgreSQL for the import tests");

(ready ? describeWithFixtures : describe.skip)(
  `fml import to and from MySQL${ready ? "" : " (skipped: needs a MySQL server, the mysql client and PostgreSQL)"}`,
  () => {
    const cleanup: (() => Promise<void> | void)[] = [];
    afterAll(async () => {
      for (const step of cleanup) await step();
    }, TIMEOUT);
    const mysqlDb = async (made: Promise<TestDatabase>): Promise<TestDatabase> => {
      const db = await made;
      cleanup.push(() => db.drop());
      return db;
    };

    /** Imports `input` into `output`, then serves the output and checks it against `expected`. */
    async function importAndServe(
      input: { kind: Backend; uri: string },
      output: { kind: Backend; uri: string },
      version: string,
      expected: ExpectedContents,
    ): Promise<FmlServer> {
      const result = await fmlImport(input.uri, output.uri);
      expect({ code: result.code, stderr: result.code ? result.stderr : "" }).toEqual({ code: 0, stderr: "" });
      expect(result.stdout).toContain("row counts check out");
      if (readManifest(version).features?.traces) {
        const times = await spanTimes(input);
        expect(times.length).toBeGreaterThan(0);
        expect(await spanTimes(output)).toEqual(times);
      }
      const fml = await startFml({ backend: output.kind, databaseUri: output.uri });
      cleanup.unshift(() => fml.stop().then(() => undefined));
      expect(await mismatches(fml, expected)).toEqual([]);
      return fml;
    }

    test(`MLflow ${MLFLOW3} SQLite → fresh MySQL: served as the manifest says, ids kept`, async () => {
      const input = copySqliteFixture(MLFLOW3);
      cleanup.push(() => input.remove());
      const output = await mysqlDb(createMysqlTestDatabase());
      const fml = await importAndServe(
        { kind: "sqlite", uri: `sqlite:///${input.path}` },
        { kind: "mysql", uri: output.url },
        MLFLOW3,
        expectedContents(readManifest(MLFLOW3), "sqlite"),
      );
      const maxId = Math.max(...Object.values(readManifest(MLFLOW3).backends.sqlite.experiment_ids_by_name).map(Number));
      expect((await fml.api("POST", "experiments/create", { name: "after-import" })).body).toEqual({ experiment_id: String(maxId + 1) });
    }, TIMEOUT);

    test(`MLflow ${CLASSIC} PostgreSQL → fresh MySQL`, async () => {
      const input = await restorePostgresFixture(CLASSIC);
      cleanup.push(() => input.drop());
      const output = await mysqlDb(createMysqlTestDatabase());
      await importAndServe(
        { kind: "postgresql", uri: input.url },
        { kind: "mysql", uri: output.url },
        CLASSIC,
        expectedContents(readManifest(CLASSIC), "postgresql"),
      );
    }, TIMEOUT);

    test(`MLflow ${MLFLOW3} MySQL (made by MLflow) → fresh PostgreSQL`, async () => {
      const input = await mysqlDb(restoreMysqlFixture(MLFLOW3));
      const output = await createTestDatabase();
      cleanup.push(() => output.drop());
      await importAndServe(
        { kind: "mysql", uri: input.url },
        { kind: "postgresql", uri: output.url },
        MLFLOW3,
        expectedContents(readManifest(MLFLOW3), "mysql"),
      );
    }, TIMEOUT);

    test(`MLflow ${CLASSIC} MySQL (made by MLflow) → SQLite`, async () => {
      const input = await mysqlDb(restoreMysqlFixture(CLASSIC));
      const dir = copySqliteFixture(CLASSIC); // only for its temp directory
      cleanup.push(() => dir.remove());
      await importAndServe(
        { kind: "mysql", uri: input.url },
        { kind: "sqlite", uri: `sqlite:///${join(dir.dir, "imported.db")}` },
        CLASSIC,
        expectedContents(readManifest(CLASSIC), "mysql"),
      );
    }, TIMEOUT);
  },
);
