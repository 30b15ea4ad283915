/**
 * Brings a SQLite database to the MLflow schema fml serves: creates it on an empty file, replays
 * MLflow's alembic steps on an older one (each step in its own transaction, alembic_version
 * updated with it), and refuses anything it does not know, without changing it.
 */

import type { SqliteDatabase } from "../../runtime.ts";
import {
  HEAD_REVISION,
  type MigrationStep,
  type PrepareSchemaOptions,
  type PreparedSchema,
  type SchemaInspection,
  SUPPORTED_REVISIONS,
  describePlan,
  hasStatements,
  headSchemaSql,
  planSchema,
} from "./migrations.ts";
import { SchemaError, refusal, upgradeNeeded } from "./schema-errors.ts";

export async function inspectSqlite(db: SqliteDatabase): Promise<SchemaInspection> {
  return readInspection(db);
}

export async function prepareSqliteSchema(
  db: SqliteDatabase,
  options: PrepareSchemaOptions,
): Promise<PreparedSchema> {
  const log = options.log ?? (() => {});
  const plan = planSchema("sqlite", readInspection(db));
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
      createFresh(db);
      log(`created the MLflow schema at ${HEAD_REVISION}`);
      return { plan, revision: HEAD_REVISION };
    case "upgrade":
      if (!options.migrate) throw upgradeNeeded(plan.from, options.databaseUri);
      upgrade(db, plan.from, plan.steps, log);
      return { plan, revision: HEAD_REVISION };
  }
}

function createFresh(db: SqliteDatabase): void {
  inTransaction(db, () => {
    // Another process may have created it between our look and our write lock.
    const again = planSchema("sqlite", readInspection(db));
    if (again.kind !== "fresh") return;
    db.exec(headSchemaSql("sqlite"));
  });
}

function upgrade(
  db: SqliteDatabase,
  from: string,
  steps: MigrationStep[],
  log: (line: string) => void,
): void {
  log(`upgrading the MLflow schema from ${from} to ${HEAD_REVISION} (${steps.length} steps)`);
  // Batch rebuilds drop and re-create referenced tables; SQLite only allows that with foreign keys
  // off, and the pragma cannot change inside a transaction.
  const foreignKeys = db.get<{ foreign_keys: number }>("PRAGMA foreign_keys")?.foreign_keys ?? 0;
  db.exec("PRAGMA foreign_keys = OFF");
  try {
    let expected = from;
    for (const step of steps) {
      const started = performance.now();
      const outcome = inTransaction(db, () => {
        const current = readInspection(db).revision;
        if (current === expected) {
          if (hasStatements(step.sql)) db.exec(step.sql);
          db.run("UPDATE alembic_version SET version_num = ?", [step.revision]);
          return "applied";
        }
        // Another process on this file got the write lock first and moved it on: follow it.
        const order = SUPPORTED_REVISIONS.indexOf(current ?? "");
        return order >= SUPPORTED_REVISIONS.indexOf(step.revision) ? "done elsewhere" : "diverged";
      });
      if (outcome === "diverged") {
        throw new SchemaError(
          `the database changed revision while fml was upgrading it (expected ${expected}); ` +
            "it was not touched further. Start fml again to see where it stands.",
        );
      }
      if (outcome === "applied") {
        log(`  ${step.revision} ${step.description} (${Math.round(performance.now() - started)} ms)`);
      }
      expected = step.revision;
    }
  } finally {
    db.exec(`PRAGMA foreign_keys = ${foreignKeys ? "ON" : "OFF"}`);
  }
}

function readInspection(db: SqliteDatabase): SchemaInspection {
  const tables = db
    .all<{ name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
    )
    .map((row) => row.name);
  if (!tables.includes("alembic_version")) return { tables, revision: null };
  const row = db.get<{ version_num: string }>("SELECT version_num FROM alembic_version LIMIT 1");
  return { tables, revision: row?.version_num ?? null };
}

/** Runs `work` under BEGIN IMMEDIATE (the write lock), committing on success. */
function inTransaction<T>(db: SqliteDatabase, work: () => T): T {
  try {
    db.exec("BEGIN IMMEDIATE");
  } catch (error) {
    throw writeFailure(error);
  }
  try {
    const result = work();
    db.exec("COMMIT");
    return result;
  } catch (error) {
    try {
      db.exec("ROLLBACK");
    } catch {
      // the failed statement may already have ended the transaction
    }
    throw error instanceof SchemaError ? error : writeFailure(error);
  }
}

function writeFailure(error: unknown): SchemaError {
  const message = error instanceof Error ? error.message : String(error);
  if (/readonly|read-only|read only/i.test(message)) {
    return new SchemaError(
      `the SQLite database is read-only, so fml cannot create or upgrade its schema (${message}); ` +
        "make the file and its directory writable, or point fml at an up-to-date database.",
    );
  }
  return new SchemaError(`schema change failed and was rolled back: ${message}`);
}
