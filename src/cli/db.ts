/**
 * `fml db check` and `fml db upgrade`: what a database holds and what fml would do to it, and
 * the explicit upgrade for operators who start servers with `--database-migrate=false`.
 */

import { defineCommand, type ArgsDef } from "citty";
import { maskPassword, parseDatabaseUri, type DatabaseTarget } from "../config.ts";
import { openSqlite } from "../runtime.ts";
import { inspectPostgres, preparePostgresSchema } from "../store/schema/migrate-postgres.ts";
import { inspectSqlite, prepareSqliteSchema } from "../store/schema/migrate-sqlite.ts";
import { HEAD_REVISION, describePlan, planSchema, type SchemaPlan } from "../store/schema/migrations.ts";
import { StoreOpenError } from "../store/open.ts";
import { checkConnection, connectPostgres } from "../store/db/postgres.ts";

const dbArgs = {
  "database-uri": {
    type: "string",
    alias: ["backend-store-uri"],
    description: "sqlite://<file> or postgresql://user:pass@host/db [env FML_DATABASE_URI] (default sqlite://fml.db)",
  },
} as const satisfies ArgsDef;

function target(args: Record<string, unknown>): DatabaseTarget {
  const uri =
    (typeof args["database-uri"] === "string" && args["database-uri"]) ||
    process.env.FML_DATABASE_URI ||
    "sqlite://fml.db";
  return parseDatabaseUri(uri, process.cwd());
}

/** Runs `fn` against the database's schema tools: inspection and preparation for its dialect. */
async function withDatabase<T>(
  database: DatabaseTarget,
  fn: (tools: { plan: () => Promise<SchemaPlan>; upgrade: () => Promise<string> }) => Promise<T>,
): Promise<T> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  if (database.kind === "sqlite") {
    let db;
    try {
      db = await openSqlite(database.path);
    } catch (error) {
      throw new StoreOpenError(`cannot open SQLite database ${database.path}: ${(error as Error).message}`);
    }
    try {
      return await fn({
        plan: async () => planSchema("sqlite", await inspectSqlite(db)),
        upgrade: async () =>
          (await prepareSqliteSchema(db, { migrate: true, log, databaseUri: database.uri })).revision,
      });
    } finally {
      db.close();
    }
  }
  const pool = connectPostgres(database.url, { max: 1 });
  await checkConnection(pool, database.url);
  try {
    return await fn({
      plan: async () => planSchema("postgresql", await inspectPostgres(pool)),
      upgrade: async () =>
        (await preparePostgresSchema(pool, { migrate: true, log, databaseUri: database.uri })).revision,
    });
  } finally {
    await pool.end({ timeout: 5 });
  }
}

const check = defineCommand({
  meta: { name: "check", description: "Print the database's MLflow schema revision and what an upgrade would do; change nothing" },
  args: dbArgs,
  async run({ args }) {
    const database = target(args);
    await withDatabase(database, async ({ plan }) => {
      const found = await plan();
      console.log(`database: ${maskPassword(database.uri)}`);
      console.log(describePlan(found));
      if (found.kind === "upgrade") {
        for (const step of found.steps) console.log(`  ${step.revision}  ${step.description}`);
      }
      if (found.kind === "unknown" || found.kind === "not-mlflow") process.exitCode = 1;
    });
  },
});

const upgrade = defineCommand({
  meta: { name: "upgrade", description: `Upgrade an MLflow database to the schema fml serves (${HEAD_REVISION}) and exit` },
  args: dbArgs,
  async run({ args }) {
    const database = target(args);
    await withDatabase(database, async ({ upgrade: run }) => {
      const started = performance.now();
      const revision = await run();
      console.log(
        `database ${maskPassword(database.uri)} at ${revision} (${Math.round(performance.now() - started)} ms)`,
      );
    });
  },
});

export const dbCommand = defineCommand({
  meta: { name: "db", description: "Inspect or upgrade an MLflow database" },
  subCommands: { check, upgrade },
});
