/**
 * Compatibility mode on MySQL, through the real fml process: MLflow 3.11's MySQL database (the
 * fixture dump, loaded with the mysql client) changed the way newer MLflow releases change it
 * (a trace archival column, experiment tag values widened to TEXT, a new table cascading from
 * experiments, an unknown revision) is served as it is; with a column fml writes missing it is
 * refused, naming the column. The schema is left as found either way.
 */

import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import mysql from "mysql2/promise";
import {
  fixturesAvailable,
  fixturesMissing,
  mysqlAvailable,
  mysqlClient,
  restoreMysqlFixture,
  type TestDatabase,
} from "../helpers/fixtures.ts";
import { NEWER_REVISION } from "../helpers/newer-mlflow.ts";
import { mysqlSnapshot, type SchemaSnapshot } from "../helpers/schema-compare.ts";
import { repoRoot, startFml } from "../helpers/server.ts";

const FIXTURE = "3.11.2.dev0-mlflow3";
const main = join(repoRoot, "src/cli/main.ts");

const reachable = await mysqlAvailable();
const why = !reachable
  ? "no MySQL/MariaDB server at FML_TEST_MYSQL_URL"
  : mysqlClient() === undefined
    ? "no mysql command-line client to load the fixture dump"
    : !fixturesAvailable
      ? fixturesMissing.replace(/^skipped: /, "")
      : undefined;
if (why && process.env.CI) throw new Error(`CI needs the MySQL compatibility-mode tests: ${why}`);

function fml(args: string[]) {
  const r = Bun.spawnSync([process.execPath, main, ...args], { stdout: "pipe", stderr: "pipe", timeout: 60000 });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

async function withConnection<T>(db: TestDatabase, fn: (conn: mysql.Connection) => Promise<T>): Promise<T> {
  const conn = await mysql.createConnection({ uri: db.url, multipleStatements: true });
  try {
    return await fn(conn);
  } finally {
    await conn.end();
  }
}

const snapshot = (db: TestDatabase): Promise<SchemaSnapshot> => withConnection(db, (conn) => mysqlSnapshot(conn));

/** Changes of the kinds MLflow 3.12-3.17 make, with an alembic revision fml does not know. */
const NEWER_CHANGES = `
  ALTER TABLE trace_info ADD COLUMN archived_at BIGINT NULL;
  ALTER TABLE experiment_tags MODIFY value TEXT;
  CREATE TABLE skills (
    skill_id VARCHAR(36) NOT NULL PRIMARY KEY,
    experiment_id INTEGER NOT NULL,
    name VARCHAR(250) NOT NULL,
    CONSTRAINT fk_skills_experiment_id FOREIGN KEY (experiment_id) REFERENCES experiments (experiment_id) ON DELETE CASCADE
  );
  UPDATE alembic_version SET version_num = '${NEWER_REVISION}';`;

(why ? describe.skip : describe)(`compatibility mode with a newer MLflow database [mysql]${why ? ` (skipped: ${why})` : ""}`, () => {
  const databases: TestDatabase[] = [];
  afterAll(async () => {
    for (const db of databases) await db.drop();
  });
  const newer = async (extra = ""): Promise<TestDatabase> => {
    const db = await restoreMysqlFixture(FIXTURE);
    databases.push(db);
    await withConnection(db, (conn) => conn.query(NEWER_CHANGES + extra));
    return db;
  };

  test("served as it is: db check says compatibility mode, one log line, writes work, 20,000-character tags, schema unchanged", async () => {
    const db = await newer();
    const before = await snapshot(db);
    const check = fml(["db", "check", "--database-uri", db.url]);
    expect(check.stdout + check.stderr).toContain(`alembic revision ${NEWER_REVISION}`);
    expect(check.stdout + check.stderr).toContain("compatibility mode");
    expect(check.code).toBe(0);

    const server = await startFml({ backend: "mysql", databaseUri: db.url });
    try {
      const lines = server.logs().split("\n").filter((line) => line.includes("compatibility mode"));
      expect(lines).toHaveLength(1);
      const created = await server.api<{ experiment_id: string }>("POST", "experiments/create", {
        name: "compat-mysql",
        tags: [{ key: "long", value: "x".repeat(20000) }],
      });
      expect(created.status).toBe(200);
      const experimentId = created.body.experiment_id;
      const tooLong = await server.api("POST", "experiments/set-experiment-tag", {
        experiment_id: experimentId,
        key: "longer",
        value: "x".repeat(20001),
      });
      expect(tooLong.status).toBe(400);
      const run = await server.api("POST", "runs/create", { experiment_id: experimentId, start_time: 1 });
      expect(run.status).toBe(200);
    } finally {
      await server.kill();
    }
    expect(await snapshot(db)).toEqual(before);
    const [revision] = await withConnection(db, async (conn) => (await conn.query("SELECT version_num FROM alembic_version"))[0] as { version_num: string }[]);
    expect(revision?.version_num).toBe(NEWER_REVISION);
  }, 120000);

  test("a column fml writes missing: refused, naming it, schema unchanged", async () => {
    const db = await newer("ALTER TABLE runs DROP COLUMN deleted_time;");
    const before = await snapshot(db);
    const check = fml(["db", "check", "--database-uri", db.url]);
    expect(check.code).toBe(1);
    expect(check.stdout + check.stderr).toContain("column runs.deleted_time is missing");
    const server = fml(["server", "--database-uri", db.url, "--listen-address", "127.0.0.1:0"]);
    expect(server.code).toBe(2);
    expect(server.stderr).toContain("column runs.deleted_time is missing");
    expect(await snapshot(db)).toEqual(before);
  }, 120000);
});
