/**
 * SQLite schema creation and upgrade against databases real MLflow made: a fresh schema equals
 * MLflow 3.11's, every older fixture upgrades to exactly that schema with its rows intact, each
 * intermediate fixture revision is reproduced on the way, and refusals leave the file untouched.
 */

import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqlite, type SqliteDatabase } from "../../src/runtime.ts";
import { SqliteDatabaseHandle } from "../../src/store/db/sqlite.ts";
import { sql } from "../../src/store/db/sql.ts";
import type { PrepareSchemaOptions, PreparedSchema } from "../../src/store/schema/migrations.ts";
import { prepareSchema } from "../../src/store/schema/prepare.ts";
import { HEAD_REVISION, hasStatements, stepsBetween } from "../../src/store/schema/migrations.ts";
import { SchemaError } from "../../src/store/schema/schema-errors.ts";
import {
  copySqliteFixture,
  describeWithFixtures,
  fixturePath,
  fixtureVersions,
  readManifest,
  testWithFixtures,
} from "../helpers/fixtures.ts";
import { type SchemaSnapshot, sqliteSnapshot } from "../helpers/schema-compare.ts";

const versions = fixtureVersions();
const headVersion = versions.find((v) => readManifest(v).backends.sqlite.alembic_revision === HEAD_REVISION);
const cleanups: (() => void)[] = [];
afterAll(() => {
  for (const cleanup of cleanups) cleanup();
});

function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "fml-migrations-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function snapshotOfFile(path: string): Promise<SchemaSnapshot> {
  const db = await openSqlite(path, { readonly: true });
  try {
    return sqliteSnapshot(db);
  } finally {
    db.close();
  }
}

/** Prepares the file's schema through fml's SQLite driver, as the server does, then closes it. */
async function prepareFile(
  path: string,
  options: PrepareSchemaOptions,
  inspect?: (db: SqliteDatabaseHandle) => Promise<void>,
  readonly = false,
): Promise<PreparedSchema> {
  const db = await SqliteDatabaseHandle.open(path, { readonly });
  try {
    const result = await prepareSchema(db, options);
    await inspect?.(db);
    return result;
  } finally {
    await db.close();
  }
}

async function freshSnapshot(): Promise<SchemaSnapshot> {
  const path = join(scratchDir(), "fresh.db");
  await prepareFile(path, { migrate: false });
  return snapshotOfFile(path);
}

function rowCounts(db: SqliteDatabase): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { name } of db.all<{ name: string }>(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
  )) {
    counts[name] = db.get<{ n: number }>(`SELECT count(*) AS n FROM "${name}"`)?.n ?? -1;
  }
  return counts;
}

function revisionOf(db: SqliteDatabase): string | undefined {
  return db.get<{ version_num: string }>("SELECT version_num FROM alembic_version")?.version_num;
}

/** Applies catalog steps the way prepareSchema does, stopping at an intermediate revision. */
function applySteps(db: SqliteDatabase, from: string, to: string): void {
  db.exec("PRAGMA foreign_keys = OFF");
  for (const step of stepsBetween("sqlite", from, to)) {
    db.exec("BEGIN IMMEDIATE");
    if (hasStatements(step.sql)) db.exec(step.sql);
    db.run("UPDATE alembic_version SET version_num = ?", [step.revision]);
    db.exec("COMMIT");
  }
}

describe("fresh SQLite database", () => {
  testWithFixtures("head.sql creates exactly the schema MLflow 3.11.2.dev0 created", async () => {
    if (!headVersion) throw new Error("no fixture at the head revision");
    expect(await freshSnapshot()).toEqual(await snapshotOfFile(fixturePath(headVersion, "mlflow.db")));
  });

  test("holds alembic_version at head and the default workspace, and no experiment", async () => {
    const path = join(scratchDir(), "fresh.db");
    const result = await prepareFile(path, { migrate: false });
    expect(result).toEqual({ plan: { kind: "fresh" }, revision: HEAD_REVISION, limits: { experimentTagValue: 5000 } });
    const db = await openSqlite(path);
    expect(revisionOf(db)).toBe(HEAD_REVISION);
    expect(db.all("SELECT name, description FROM workspaces")).toEqual([
      { name: "default", description: "Default workspace for legacy resources" },
    ]);
    expect(db.get<{ n: number }>("SELECT count(*) AS n FROM experiments")?.n).toBe(0);
    // a second start finds it current and changes nothing
    expect((await prepareFile(path, { migrate: false })).plan).toEqual({ kind: "current" });
    db.close();
  });
});

describeWithFixtures("upgrading each fixture", async () => {
  const head = await freshSnapshot();
  for (const version of versions) {
    test(`${version} upgrades to ${HEAD_REVISION} with the head schema and all rows`, async () => {
      const manifest = readManifest(version).backends.sqlite;
      const copy = copySqliteFixture(version);
      cleanups.push(copy.remove);
      const lines: string[] = [];
      const started = performance.now();
      let foreignKeys: unknown;
      const result = await prepareFile(copy.path, { migrate: true, log: (l) => lines.push(l) }, async (handle) => {
        foreignKeys = (await handle.transaction((tx) => tx.all(sql`PRAGMA foreign_keys`)))[0];
      });
      const ms = performance.now() - started;
      const db = await openSqlite(copy.path);
      const steps = result.plan.kind === "upgrade" ? result.plan.steps.length : 0;
      console.log(`sqlite upgrade ${version} (${manifest.alembic_revision}): ${steps} steps in ${ms.toFixed(0)} ms`);
      expect(result.revision).toBe(HEAD_REVISION);
      expect(result.plan.kind).toBe(manifest.alembic_revision === HEAD_REVISION ? "current" : "upgrade");
      expect(revisionOf(db)).toBe(HEAD_REVISION);
      const counts = rowCounts(db);
      for (const [table, n] of Object.entries(manifest.table_row_counts)) {
        if (table !== "alembic_version") expect([table, counts[table]]).toEqual([table, n]);
      }
      const after = manifest.expected_after_upgrade?.table_row_counts;
      if (after) expect(counts).toEqual(after);
      expect(db.all("PRAGMA foreign_key_check")).toEqual([]);
      expect(db.get<{ integrity_check: string }>("PRAGMA integrity_check")?.integrity_check).toBe("ok");
      // The upgrade turns foreign keys off for its steps and restores the connection's setting.
      expect(foreignKeys).toEqual({ foreign_keys: 1 });
      db.close();
      expect(await snapshotOfFile(copy.path)).toEqual(head);
    });
  }
});

describeWithFixtures("intermediate revisions match what that MLflow release created", () => {
  const oldest = versions[0];
  const checkpoints = versions
    .map((v) => [v, readManifest(v).backends.sqlite.alembic_revision] as const)
    .filter(([v, rev]) => v !== oldest && rev !== HEAD_REVISION);
  for (const [version, revision] of checkpoints) {
    test(`${oldest} stepped to ${revision} has the schema ${version} created`, async () => {
      if (!oldest) throw new Error("no fixtures");
      const copy = copySqliteFixture(oldest);
      cleanups.push(copy.remove);
      const db = await openSqlite(copy.path);
      applySteps(db, readManifest(oldest).backends.sqlite.alembic_revision, revision);
      db.close();
      expect(await snapshotOfFile(copy.path)).toEqual(await snapshotOfFile(fixturePath(version, "mlflow.db")));
    });
  }
});

describe("refusals change nothing", () => {
  const oldVersion = versions[0] ?? "";

  async function expectRefusal(path: string, readonly: boolean, migrate: boolean, message: RegExp[]): Promise<void> {
    const before = readFileSync(path);
    let error: unknown;
    try {
      await prepareFile(path, { migrate, databaseUri: `sqlite:///${path}` }, undefined, readonly);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SchemaError);
    for (const m of message) expect((error as Error).message).toMatch(m);
    expect(Buffer.compare(readFileSync(path), before)).toBe(0);
  }

  testWithFixtures("an unknown revision whose schema lacks a column fml writes is refused, naming both", async () => {
    const copy = copySqliteFixture(headVersion ?? oldVersion);
    cleanups.push(copy.remove);
    const db = await openSqlite(copy.path);
    db.run("UPDATE alembic_version SET version_num = 'ffffffffffff'");
    db.run("ALTER TABLE runs DROP COLUMN deleted_time");
    db.close();
    await expectRefusal(copy.path, false, true, [
      /ffffffffffff/,
      /column runs\.deleted_time is missing/,
      /c48cb773bb87/,
      new RegExp(HEAD_REVISION),
    ]);
  });

  testWithFixtures("an unknown revision with everything fml needs is served and not written to", async () => {
    const copy = copySqliteFixture(headVersion ?? oldVersion);
    cleanups.push(copy.remove);
    const db = await openSqlite(copy.path);
    db.run("UPDATE alembic_version SET version_num = 'ffffffffffff'");
    db.close();
    const before = readFileSync(copy.path);
    const result = await prepareFile(copy.path, { migrate: true });
    expect(result.compatibility).toEqual({ revision: "ffffffffffff", problems: [], limits: { experimentTagValue: 5000 } });
    expect(Buffer.compare(readFileSync(copy.path), before)).toBe(0);
  });

  test("a database with other tables and no alembic_version is refused", async () => {
    const path = join(scratchDir(), "other.db");
    const db = await openSqlite(path);
    db.exec("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers VALUES (1, 'a')");
    db.close();
    await expectRefusal(path, false, true, [/not an MLflow database/, /c48cb773bb87/]);
  });

  testWithFixtures("an old database is not upgraded without migrate, and the message says how", async () => {
    const copy = copySqliteFixture(oldVersion);
    cleanups.push(copy.remove);
    await expectRefusal(copy.path, false, false, [
      new RegExp(readManifest(oldVersion).backends.sqlite.alembic_revision),
      new RegExp(HEAD_REVISION),
      /fml db upgrade --database-uri sqlite:\/\/\//,
    ]);
  });

  testWithFixtures("a read-only old database is refused even with migrate", async () => {
    const copy = copySqliteFixture(oldVersion);
    cleanups.push(copy.remove);
    chmodSync(copy.path, 0o444);
    // Root ignores file modes, so the database is also opened read-only: either alone must refuse.
    await expectRefusal(copy.path, true, true, [/read-only/]);
  });

  testWithFixtures("a known newer revision is served as is, in compatibility mode", async () => {
    const copy = copySqliteFixture(headVersion ?? oldVersion);
    cleanups.push(copy.remove);
    const db = await openSqlite(copy.path);
    db.run("UPDATE alembic_version SET version_num = 'da6fb0208061'");
    const before = sqliteSnapshot(db);
    const result = await prepareFile(copy.path, { migrate: true });
    expect(result).toMatchObject({
      plan: { kind: "newer-known", revision: "da6fb0208061" },
      revision: "da6fb0208061",
      compatibility: { revision: "da6fb0208061", problems: [] },
    });
    expect(sqliteSnapshot(db)).toEqual(before);
    expect(revisionOf(db)).toBe("da6fb0208061");
    db.close();
  });
});
