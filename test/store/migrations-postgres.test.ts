/**
 * PostgreSQL schema creation and upgrade against databases real MLflow made, each test on its own
 * `fml_test_<random>` database: a fresh schema equals MLflow 3.11's, every fixture dump upgrades to
 * it with its rows intact, refusals change nothing, and concurrent starts migrate exactly once.
 */

import { afterAll, describe, expect, test } from "bun:test";
import postgres from "postgres";
import { PostgresDatabase } from "../../src/store/db/postgres.ts";
import { connectPostgres } from "../../src/store/db/postgres-connect.ts";
import {
  HEAD_REVISION,
  type PrepareSchemaOptions,
  type PreparedSchema,
  hasStatements,
  stepsBetween,
} from "../../src/store/schema/migrations.ts";
import { prepareSchema } from "../../src/store/schema/prepare.ts";
import { SchemaError } from "../../src/store/schema/schema-errors.ts";
import {
  type TestDatabase,
  createTestDatabase,
  describeWithFixtures,
  fixtureVersions,
  postgresAvailable,
  readManifest,
  restorePostgresFixture,
  testWithFixtures,
} from "../helpers/fixtures.ts";
import { type SchemaSnapshot, postgresSnapshot } from "../helpers/schema-compare.ts";

const available = await postgresAvailable();
const versions = fixtureVersions();
const headVersion = versions.find((v) => readManifest(v).backends.postgresql.alembic_revision === HEAD_REVISION);
const databases: TestDatabase[] = [];
const clients: postgres.Sql[] = [];

afterAll(async () => {
  await Promise.all(clients.map((sql) => sql.end({ timeout: 5 })));
  await Promise.all(databases.map((db) => db.drop()));
}, 120_000);

function connect(db: TestDatabase, max = 2): postgres.Sql {
  const sql = postgres(db.url, { max, onnotice: () => {} });
  clients.push(sql);
  return sql;
}

/** Prepares the schema through fml's PostgreSQL driver (a pool of `max`), as the server does. */
async function preparePostgresSchema(db: TestDatabase, options: PrepareSchemaOptions, max = 2): Promise<PreparedSchema> {
  const database = new PostgresDatabase(connectPostgres(db.url, { max }));
  try {
    return await prepareSchema(database, options);
  } finally {
    await database.close();
  }
}

async function track(db: Promise<TestDatabase>): Promise<TestDatabase> {
  const d = await db;
  databases.push(d);
  return d;
}

async function snapshotOf(db: TestDatabase): Promise<SchemaSnapshot> {
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  try {
    return await postgresSnapshot(sql);
  } finally {
    await sql.end();
  }
}

async function rowCounts(sql: postgres.Sql): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const tables = await sql<{ table_name: string }[]>`
    SELECT table_name FROM information_schema.tables
    WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`;
  for (const { table_name } of tables) {
    const [row] = await sql<{ n: string }[]>`SELECT count(*) AS n FROM public.${sql(table_name)}`;
    counts[table_name] = Number(row?.n ?? -1);
  }
  return counts;
}

async function revisionOf(sql: postgres.Sql): Promise<string | undefined> {
  const [row] = await sql<{ version_num: string }[]>`SELECT version_num FROM public.alembic_version`;
  return row?.version_num;
}

describe.skipIf(!available)("fresh PostgreSQL database", () => {
  testWithFixtures("head.sql creates exactly the schema MLflow 3.11.2.dev0 created", async () => {
    if (!headVersion) throw new Error("no fixture at the head revision");
    const fresh = await track(createTestDatabase());
    const result = await preparePostgresSchema(fresh, { migrate: false });
    expect(result).toEqual({ plan: { kind: "fresh" }, revision: HEAD_REVISION, limits: { experimentTagValue: 5000 } });
    const reference = await track(restorePostgresFixture(headVersion));
    expect(await snapshotOf(fresh)).toEqual(await snapshotOf(reference));
  });

  test("holds alembic_version at head and the default workspace, and no experiment", async () => {
    const fresh = await track(createTestDatabase());
    const sql = connect(fresh);
    await preparePostgresSchema(fresh, { migrate: false });
    expect(await revisionOf(sql)).toBe(HEAD_REVISION);
    expect([...(await sql`SELECT name, description FROM public.workspaces`)]).toEqual([
      { name: "default", description: "Default workspace for legacy resources" },
    ]);
    expect([...(await sql`SELECT count(*)::int AS n FROM public.experiments`)]).toEqual([{ n: 0 }]);
    expect((await preparePostgresSchema(fresh, { migrate: false })).plan).toEqual({ kind: "current" });
  });
});

(available ? describeWithFixtures : describe.skip)("upgrading each fixture dump", () => {
  for (const version of versions) {
    test(`${version} upgrades to ${HEAD_REVISION} with the head schema and all rows`, async () => {
      const manifest = readManifest(version).backends.postgresql;
      const db = await track(restorePostgresFixture(version));
      const sql = connect(db);
      const started = performance.now();
      const result = await preparePostgresSchema(db, { migrate: true });
      const ms = performance.now() - started;
      const steps = result.plan.kind === "upgrade" ? result.plan.steps.length : 0;
      console.log(`postgresql upgrade ${version} (${manifest.alembic_revision}): ${steps} steps in ${ms.toFixed(0)} ms`);
      expect(result.revision).toBe(HEAD_REVISION);
      expect(await revisionOf(sql)).toBe(HEAD_REVISION);
      const counts = await rowCounts(sql);
      for (const [table, n] of Object.entries(manifest.table_row_counts)) {
        if (table !== "alembic_version") expect([table, counts[table]]).toEqual([table, n]);
      }
      const after = manifest.expected_after_upgrade?.table_row_counts;
      if (after) expect(counts).toEqual(after);
      const fresh = await track(createTestDatabase());
      await preparePostgresSchema(fresh, { migrate: false });
      expect(await snapshotOf(db)).toEqual(await snapshotOf(fresh));
    });
  }
});

(available ? describeWithFixtures : describe.skip)("intermediate revisions match what that MLflow release created", () => {
  const oldest = versions[0] ?? "";
  const checkpoints = versions
    .map((v) => [v, readManifest(v).backends.postgresql.alembic_revision] as const)
    .filter(([v, rev]) => v !== oldest && rev !== HEAD_REVISION);
  for (const [version, revision] of checkpoints) {
    test(`${oldest} stepped to ${revision} has the schema ${version} created`, async () => {
      const db = await track(restorePostgresFixture(oldest));
      const sql = connect(db);
      for (const step of stepsBetween("postgresql", readManifest(oldest).backends.postgresql.alembic_revision, revision)) {
        await sql.begin(async (tx) => {
          await tx.unsafe("SET LOCAL search_path TO public");
          if (hasStatements(step.sql)) await tx.unsafe(step.sql);
          await tx`UPDATE alembic_version SET version_num = ${step.revision}`;
        });
      }
      const reference = await track(restorePostgresFixture(version));
      expect(await snapshotOf(db)).toEqual(await snapshotOf(reference));
    });
  }
});

describe.skipIf(!available)("refusals change nothing", () => {
  const oldVersion = versions[0] ?? "";

  async function expectRefusal(db: TestDatabase, migrate: boolean, message: RegExp[]): Promise<void> {
    const sql = connect(db);
    const before = { schema: await snapshotOf(db), counts: await rowCounts(sql) };
    let error: unknown;
    try {
      await preparePostgresSchema(db, { migrate, databaseUri: db.url });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SchemaError);
    for (const m of message) expect((error as Error).message).toMatch(m);
    expect({ schema: await snapshotOf(db), counts: await rowCounts(sql) }).toEqual(before);
  }

  testWithFixtures("an unknown revision on a schema that lacks what fml needs is refused, naming it and the supported ones", async () => {
    const db = await track(restorePostgresFixture(oldVersion));
    await connect(db)`UPDATE public.alembic_version SET version_num = 'ffffffffffff'`;
    await expectRefusal(db, true, [/ffffffffffff/, /c48cb773bb87/, new RegExp(HEAD_REVISION)]);
  });

  test("a database with other tables and no alembic_version is refused", async () => {
    const db = await track(createTestDatabase());
    await connect(db).unsafe("CREATE TABLE public.customers (id integer PRIMARY KEY, name text); INSERT INTO public.customers VALUES (1, 'a')");
    await expectRefusal(db, true, [/not an MLflow database/, /c48cb773bb87/]);
  });

  testWithFixtures("an old database is not upgraded without migrate, and the message says how", async () => {
    const db = await track(restorePostgresFixture(oldVersion));
    await expectRefusal(db, false, [
      new RegExp(readManifest(oldVersion).backends.postgresql.alembic_revision),
      new RegExp(HEAD_REVISION),
      /fml db upgrade --database-uri postgres/,
    ]);
  });
});

(available ? describeWithFixtures : describe.skip)("concurrent start-up", () => {
  test("several processes on one old database: exactly one applies the steps", async () => {
    const db = await track(restorePostgresFixture(versions[0] ?? ""));
    const logs: string[][] = [[], [], [], []];
    const results = await Promise.all(
      logs.map((lines) => preparePostgresSchema(db, { migrate: true, log: (l) => lines.push(l) }, 1)),
    );
    expect(results.filter((r) => r.plan.kind === "upgrade")).toHaveLength(1);
    expect(results.filter((r) => r.plan.kind === "current")).toHaveLength(3);
    expect(logs.filter((lines) => lines.length > 0)).toHaveLength(1);
    expect(await revisionOf(connect(db))).toBe(HEAD_REVISION);
  });
});
