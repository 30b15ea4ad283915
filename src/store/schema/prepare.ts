/**
 * Brings a database to the MLflow schema fml serves: creates it on an empty database, replays
 * MLflow's alembic steps on an older one (each step in its own transaction, alembic_version updated
 * with it), serves a newer one as it is when its live schema has what fml needs (compatibility
 * mode), and refuses anything else without changing it. The same code serves every dialect;
 * `Database.withSchemaLock` is what keeps several fml processes from doing it twice.
 */

import type { Database, Reader } from "../db/database.ts";
import { sql } from "../db/sql.ts";
import { refreshStatistics } from "../db/statistics.ts";
import {
  HEAD_REVISION,
  type MigrationStep,
  type PrepareSchemaOptions,
  type PreparedSchema,
  type SchemaInspection,
  type SchemaPlan,
  SUPPORTED_REVISIONS,
  hasStatements,
  headSchemaSql,
  planSchema,
} from "./migrations.ts";
import { mysqlSchemaFailure, runMysqlStep } from "./mysql-steps.ts";
import { HEAD_LIMITS, describeCompatibility, inspectCompatibility } from "./compatibility.ts";
import { SchemaError, incompatible, refusal, upgradeNeeded } from "./schema-errors.ts";

/** The user tables and the alembic revision, read without changing anything. */
export async function inspectSchema(db: Reader): Promise<SchemaInspection> {
  const tableRows = await db.all<{ name: string }>(
    db.dialect === "sqlite"
      ? sql`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite!_%' ESCAPE '!' ORDER BY name`
      : db.dialect === "mysql"
        ? sql`SELECT table_name AS name FROM information_schema.tables
              WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY table_name`
        : sql`SELECT table_name AS name FROM information_schema.tables
              WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  const tables = tableRows.map((row) => row.name);
  if (!tables.includes("alembic_version")) return { tables, revision: null };
  const rows = await db.all<{ version_num: string }>(
    db.dialect === "postgresql"
      ? sql`SELECT version_num FROM public.alembic_version LIMIT 1`
      : sql`SELECT version_num FROM alembic_version LIMIT 1`,
  );
  return { tables, revision: rows[0]?.version_num ?? null };
}

export async function prepareSchema(db: Database, options: PrepareSchemaOptions): Promise<PreparedSchema> {
  // Cheap path first: a database at head needs no lock.
  const quick = planSchema(db.dialect, await inspectSchema(db));
  if (quick.kind === "current") return { plan: quick, revision: HEAD_REVISION, limits: HEAD_LIMITS };
  // Compatibility mode only reads, so it needs no lock either.
  if (quick.kind === "unknown" || quick.kind === "newer-known") return serveAsIs(db, quick, options);
  return db.withSchemaLock((session) => prepareLocked(session, options));
}

/** A revision fml does not replay: served as it is if its tables hold what fml needs, else refused. */
async function serveAsIs(
  db: Database,
  plan: Extract<SchemaPlan, { kind: "unknown" | "newer-known" }>,
  options: PrepareSchemaOptions,
): Promise<PreparedSchema> {
  const compatibility = await inspectCompatibility(db, plan.revision);
  if (compatibility.problems.length > 0) throw incompatible(compatibility);
  options.log?.(describeCompatibility(compatibility));
  return { plan, revision: plan.revision, limits: compatibility.limits, compatibility };
}

async function prepareLocked(session: Database, options: PrepareSchemaOptions): Promise<PreparedSchema> {
  const log = options.log ?? (() => {});
  const plan = planSchema(session.dialect, await inspectSchema(session));
  switch (plan.kind) {
    case "current":
      return { plan, revision: HEAD_REVISION, limits: HEAD_LIMITS };
    case "newer-known":
    case "unknown":
      return serveAsIs(session, plan, options);
    case "not-mlflow":
      throw refusal(plan);
    case "fresh":
      await step(session, async (tx) => {
        // Another process may have created it between our look and our write lock.
        if (planSchema(tx.dialect, await inspectSchema(tx)).kind !== "fresh") return;
        await tx.exec(headSchemaSql(tx.dialect));
      });
      log(`created the MLflow schema at ${HEAD_REVISION}`);
      return { plan, revision: HEAD_REVISION, limits: HEAD_LIMITS };
    case "upgrade":
      if (!options.migrate) throw upgradeNeeded(plan.from, options.databaseUri);
      await upgrade(session, plan.from, plan.steps, log);
      return { plan, revision: HEAD_REVISION, limits: HEAD_LIMITS };
  }
}

async function upgrade(
  session: Database,
  from: string,
  steps: MigrationStep[],
  log: (line: string) => void,
): Promise<void> {
  log(`upgrading the MLflow schema from ${from} to ${HEAD_REVISION} (${steps.length} steps)`);
  let expected = from;
  for (const migration of steps) {
    const started = performance.now();
    const outcome = await step(session, async (tx) => {
      const current = (await inspectSchema(tx)).revision;
      if (current === expected) {
        if (tx.dialect === "mysql") await runMysqlStep(tx, migration.sql);
        else if (hasStatements(migration.sql)) await tx.exec(migration.sql);
        await tx.run(sql`UPDATE alembic_version SET version_num = ${migration.revision}`);
        return "applied";
      }
      // Another process got the write lock first and moved it on (SQLite has no schema lock
      // across a whole upgrade, only per step): follow it.
      const order = SUPPORTED_REVISIONS.indexOf(current ?? "");
      return order >= SUPPORTED_REVISIONS.indexOf(migration.revision) ? "done elsewhere" : "diverged";
    });
    if (outcome === "diverged") {
      throw new SchemaError(
        `the database changed revision while fml was upgrading it (expected ${expected}); ` +
          "it was not touched further. Start fml again to see where it stands.",
      );
    }
    if (outcome === "applied") {
      log(`  ${migration.revision} ${migration.description} (${Math.round(performance.now() - started)} ms)`);
    }
    expected = migration.revision;
  }
  // Steps rebuild tables and indexes; the planner should not guess about them until the next ANALYZE.
  await refreshStatistics(session);
}

/**
 * One schema change in one transaction. MLflow's tables live in PostgreSQL's `public` schema and
 * the step scripts name them unqualified, so search_path is pinned for the transaction.
 */
async function step<T>(session: Database, work: (tx: Database) => Promise<T>): Promise<T> {
  try {
    return await session.transaction(async (tx) => {
      if (tx.dialect === "postgresql") await tx.exec("SET LOCAL search_path TO public");
      return work(tx);
    });
  } catch (error) {
    if (error instanceof SchemaError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    if (session.dialect === "mysql") throw new SchemaError(mysqlSchemaFailure(message));
    if (/readonly|read-only|read only/i.test(message)) {
      throw new SchemaError(
        `the SQLite database is read-only, so fml cannot create or upgrade its schema (${message}); ` +
          "make the file and its directory writable, or point fml at an up-to-date database.",
      );
    }
    throw new SchemaError(`schema change failed and was rolled back: ${message}`);
  }
}
