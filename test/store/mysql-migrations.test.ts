/**
 * MLflow's migration chain on MySQL/MariaDB. fml carries every alembic step from 1.21's head to
 * 3.11's as MySQL SQL (migrations/mysql). MySQL commits each DDL statement on its own, so a step cut
 * short is finished by running it again: the tests replay steps over schemas that already hold
 * them (fml's fresh head, and the database real MLflow 3.11 made, with its rows) and expect
 * nothing to change but the revision. That each step does what MLflow's alembic does on MySQL was
 * checked against databases MLflow itself made at older revisions (not kept in the repository).
 */

import { afterAll, describe, expect, test } from "bun:test";
import mysql from "mysql2/promise";
import { parseDatabaseUri } from "../../src/config.ts";
import { openDatabase } from "../../src/store/db/open.ts";
import { HEAD_REVISION, OLDEST_REVISION, planSchema, stepsBetween } from "../../src/store/schema/migrations.ts";
import { splitStatements } from "../../src/store/schema/mysql-steps.ts";
import {
  createMysqlTestDatabase,
  fixturesAvailable,
  fixturesMissing,
  mysqlAvailable,
  mysqlClient,
  restoreMysqlFixture,
  type TestDatabase,
} from "../helpers/fixtures.ts";
import { mysqlSnapshot, type SchemaSnapshot } from "../helpers/schema-compare.ts";

describe("MySQL migration steps", () => {
  test("the chain from c48cb773bb87 to head has a MySQL script for each of its 40 steps", () => {
    const steps = stepsBetween("mysql", OLDEST_REVISION);
    expect(steps).toHaveLength(40);
    expect(steps.at(-1)?.revision).toBe(HEAD_REVISION);
    for (const step of steps) expect(splitStatements(step.sql).length).toBeGreaterThan(0);
    const plan = planSchema("mysql", { tables: ["alembic_version", "experiments"], revision: "f5a4f2784254" });
    expect(plan.kind).toBe("upgrade");
  });

  test("statements split at line-ending semicolons, a trigger's BEGIN … END kept whole", () => {
    const trigger = stepsBetween("mysql", "bf29a5ff90ea", "1bd49d398cd23");
    const statements = splitStatements(trigger[0]?.sql ?? "");
    const create = statements.find((s) => s.startsWith("CREATE TRIGGER"));
    expect(create).toContain("SIGNAL SQLSTATE '45000'");
    expect(create).toEndWith("END");
    expect(splitStatements("-- note\nALTER TABLE a ADD COLUMN b INT;\n\nDROP INDEX i ON a;\n")).toEqual([
      "ALTER TABLE a ADD COLUMN b INT",
      "DROP INDEX i ON a",
    ]);
  });
});

const reachable = await mysqlAvailable();
const why = !reachable
  ? "no MySQL/MariaDB server at FML_TEST_MYSQL_URL"
  : mysqlClient() === undefined
    ? "no mysql command-line client to load the fixture dump"
    : !fixturesAvailable
      ? fixturesMissing.replace(/^skipped: /, "")
      : undefined;
if (why && process.env.CI) throw new Error(`CI needs the MySQL migration tests: ${why}`);

async function withConnection<T>(db: TestDatabase, work: (conn: mysql.Connection) => Promise<T>): Promise<T> {
  const conn = await mysql.createConnection({ uri: db.url, multipleStatements: true });
  try {
    return await work(conn);
  } finally {
    await conn.end();
  }
}

const snapshotOf = (db: TestDatabase): Promise<SchemaSnapshot> => withConnection(db, (conn) => mysqlSnapshot(conn));

async function revisionOf(db: TestDatabase): Promise<string | undefined> {
  return withConnection(db, async (conn) => {
    const [rows] = await conn.query("SELECT version_num FROM alembic_version");
    return (rows as { version_num: string }[])[0]?.version_num;
  });
}

/** Every row of every table, in a stable order, to see that replayed steps changed no data. */
async function rowsOf(db: TestDatabase): Promise<Record<string, unknown[]>> {
  return withConnection(db, async (conn) => {
    const [tables] = await conn.query(
      "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME <> 'alembic_version' ORDER BY 1",
    );
    const out: Record<string, unknown[]> = {};
    for (const { name } of tables as { name: string }[]) {
      const [rows] = await conn.query(`SELECT * FROM \`${name}\``);
      out[name] = (rows as Record<string, unknown>[]).map((row) => JSON.stringify(row)).sort();
    }
    return out;
  });
}

async function upgrade(db: TestDatabase): Promise<void> {
  const handle = await openDatabase(parseDatabaseUri(db.url, "/"), { schema: "prepare", migrate: true });
  await handle.close();
}

(why ? describe.skip : describe)(`MySQL migration chain${why ? ` (skipped: ${why})` : ""}`, () => {
  const databases: TestDatabase[] = [];
  const track = async (db: Promise<TestDatabase>): Promise<TestDatabase> => {
    const d = await db;
    databases.push(d);
    return d;
  };
  afterAll(async () => {
    for (const db of databases) await db.drop();
  });

  // From 1b5f0d9ad7c1 (workspaces, the largest step) on, no later step undoes an earlier one's
  // change (before it, indexes that 1b5f0d9ad7c1 replaces are created), so replaying them over head
  // is running each again over its own result. The earlier steps were checked the same way, each
  // over an MLflow-made database at its own revision.
  test("steps c8d9e0f1a2b3 → head run again over their own result and change nothing (an interrupted step is re-run whole)", async () => {
    const db = await track(createMysqlTestDatabase());
    await upgrade(db); // empty: fml creates the head schema
    const head = await snapshotOf(db);
    await withConnection(db, (conn) => conn.query("UPDATE alembic_version SET version_num = 'c8d9e0f1a2b3'"));
    await upgrade(db);
    expect(await revisionOf(db)).toBe(HEAD_REVISION);
    const replayed = await snapshotOf(db);
    for (const table of Object.keys(head.tables)) expect({ table, ...replayed.tables[table] }).toEqual({ table, ...head.tables[table] });
    expect(replayed).toEqual(head);
  }, 120_000);

  test("replaying steps c8d9e0f1a2b3 → head over MLflow 3.11's own MySQL database keeps its schema and every row", async () => {
    const db = await track(restoreMysqlFixture("3.11.2.dev0-mlflow3"));
    const [schema, rows] = [await snapshotOf(db), await rowsOf(db)];
    await withConnection(db, (conn) => conn.query("UPDATE alembic_version SET version_num = 'c8d9e0f1a2b3'"));
    await upgrade(db);
    expect(await revisionOf(db)).toBe(HEAD_REVISION);
    expect(await snapshotOf(db)).toEqual(schema);
    expect(await rowsOf(db)).toEqual(rows);
  }, 120_000);
});
