/**
 * Brings a PostgreSQL database to the MLflow schema fml serves, like migrate-sqlite.ts does for
 * SQLite. A session advisory lock is held from inspection to the last step, so that several fml
 * processes starting at once on one database migrate it exactly once: the others wait, then find
 * it current. Everything runs on one reserved connection, each step in its own transaction.
 */

import type { ReservedSql, Sql } from "postgres";
import {
  HEAD_REVISION,
  type MigrationStep,
  type PrepareSchemaOptions,
  type PreparedSchema,
  type SchemaInspection,
  type SchemaPlan,
  describePlan,
  hasStatements,
  headSchemaSql,
  planSchema,
} from "./migrations.ts";
import { SchemaError, refusal, upgradeNeeded } from "./schema-errors.ts";

/** pg_advisory_lock key for schema changes: the bytes of "fmlschem". */
export const SCHEMA_LOCK_KEY = "7380674607174935917";

type Session = Sql | ReservedSql;

export async function inspectPostgres(sql: Session): Promise<SchemaInspection> {
  const tables = (
    await sql<{ table_name: string }[]>`
      SELECT table_name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
      ORDER BY table_name`
  ).map((row) => row.table_name);
  if (!tables.includes("alembic_version")) return { tables, revision: null };
  const rows = await sql<{ version_num: string }[]>`
    SELECT version_num FROM public.alembic_version LIMIT 1`;
  return { tables, revision: rows[0]?.version_num ?? null };
}

export async function preparePostgresSchema(
  sql: Sql,
  options: PrepareSchemaOptions,
): Promise<PreparedSchema> {
  const log = options.log ?? (() => {});
  const session = await sql.reserve();
  try {
    // Cheap path first: a database at head needs no lock.
    const quick = planSchema("postgresql", await inspectPostgres(session));
    if (quick.kind === "current") return { plan: quick, revision: HEAD_REVISION };
    await session.unsafe(`SELECT pg_advisory_lock(${SCHEMA_LOCK_KEY})`);
    try {
      return await prepareLocked(session, options, log);
    } finally {
      await session.unsafe(`SELECT pg_advisory_unlock(${SCHEMA_LOCK_KEY})`);
    }
  } finally {
    session.release();
  }
}

async function prepareLocked(
  session: ReservedSql,
  options: PrepareSchemaOptions,
  log: (line: string) => void,
): Promise<PreparedSchema> {
  const plan: SchemaPlan = planSchema("postgresql", await inspectPostgres(session));
  switch (plan.kind) {
    case "current":
      return { plan, revision: HEAD_REVISION };
    case "newer-known":
      log(describePlan(plan));
      return { plan, revision: plan.revision };
    case "unknown":
    case "not-mlflow":
      throw refusal(plan);
    case "fresh":
      await inTransaction(session, () => session.unsafe(headSchemaSql("postgresql")));
      log(`created the MLflow schema at ${HEAD_REVISION}`);
      return { plan, revision: HEAD_REVISION };
    case "upgrade":
      if (!options.migrate) throw upgradeNeeded(plan.from, options.databaseUri);
      await upgrade(session, plan.from, plan.steps, log);
      return { plan, revision: HEAD_REVISION };
  }
}

async function upgrade(
  session: ReservedSql,
  from: string,
  steps: MigrationStep[],
  log: (line: string) => void,
): Promise<void> {
  log(`upgrading the MLflow schema from ${from} to ${HEAD_REVISION} (${steps.length} steps)`);
  for (const step of steps) {
    const started = performance.now();
    await inTransaction(session, async () => {
      if (hasStatements(step.sql)) await session.unsafe(step.sql);
      await session`UPDATE alembic_version SET version_num = ${step.revision}`;
    });
    log(`  ${step.revision} ${step.description} (${Math.round(performance.now() - started)} ms)`);
  }
}

/**
 * BEGIN … COMMIT on the reserved connection (sql.begin would take another connection from the
 * pool, away from the advisory lock). search_path is pinned to public for the transaction only,
 * as MLflow's tables live there and the step scripts name them unqualified.
 */
async function inTransaction(session: ReservedSql, work: () => Promise<unknown>): Promise<void> {
  await session.unsafe("BEGIN");
  try {
    await session.unsafe("SET LOCAL search_path TO public");
    await work();
    await session.unsafe("COMMIT");
  } catch (error) {
    await session.unsafe("ROLLBACK").catch(() => {});
    const message = error instanceof Error ? error.message : String(error);
    throw new SchemaError(`schema change failed and was rolled back: ${message}`);
  }
}
