/**
 * `fml db check` and `fml db upgrade`: what a database holds and what fml would do to it, and
 * the explicit upgrade for operators who start servers with `--database-migrate=false`.
 */

import { defineCommand, type ArgsDef } from "citty";
import { databaseUriFlag } from "./flags.ts";
import { maskPassword, parseDatabaseUri, type DatabaseTarget } from "../config.ts";
import type { Database } from "../store/db/database.ts";
import { openDatabase, type OpenDatabaseOptions } from "../store/db/open.ts";
import { HEAD_REVISION, describePlan, planSchema } from "../store/schema/migrations.ts";
import { describeCompatibility, inspectCompatibility } from "../store/schema/compatibility.ts";
import { inspectSchema, prepareSchema } from "../store/schema/prepare.ts";

const dbArgs = { "database-uri": databaseUriFlag } as const satisfies ArgsDef;

function target(args: Record<string, unknown>): DatabaseTarget {
  const uri =
    (typeof args["database-uri"] === "string" && args["database-uri"]) ||
    process.env.FML_DATABASE_URI ||
    "sqlite://fml.db";
  return parseDatabaseUri(uri, process.cwd());
}

/** Runs `fn` on the database as it is (no schema work on opening), then closes it. */
async function withDatabase<T>(
  database: DatabaseTarget,
  options: Omit<OpenDatabaseOptions, "schema">,
  fn: (db: Database) => Promise<T>,
): Promise<T> {
  const db = await openDatabase(database, { ...options, schema: "inspect", poolMax: 1 });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

const check = defineCommand({
  meta: { name: "check", description: "Print the database's MLflow schema revision and what an upgrade would do; change nothing" },
  args: dbArgs,
  async run({ args }) {
    const database = target(args);
    // Read-only: check changes nothing, not even SQLite's journal mode.
    await withDatabase(database, { readonly: true, mustExist: true }, async (db) => {
      const found = planSchema(db.dialect, await inspectSchema(db));
      console.log(`database: ${maskPassword(database.uri)}`);
      if (found.kind === "unknown" || found.kind === "newer-known") {
        // A revision fml does not replay: what decides is its live schema, as when fml serves it.
        const compatibility = await inspectCompatibility(db, found.revision);
        console.log(describeCompatibility(compatibility));
        if (compatibility.problems.length > 0) process.exitCode = 1;
        return;
      }
      console.log(describePlan(found));
      if (found.kind === "upgrade") {
        for (const step of found.steps) console.log(`  ${step.revision}  ${step.description}`);
      }
      if (found.kind === "not-mlflow") process.exitCode = 1;
    });
  },
});

const upgrade = defineCommand({
  meta: { name: "upgrade", description: `Upgrade an MLflow database to the schema fml serves (${HEAD_REVISION}) and exit` },
  args: dbArgs,
  async run({ args }) {
    const database = target(args);
    await withDatabase(database, {}, async (db) => {
      const started = performance.now();
      const log = (line: string) => process.stderr.write(`${line}\n`);
      const { revision, compatibility } = await prepareSchema(db, { migrate: true, log, databaseUri: database.uri });
      if (compatibility) {
        console.log(
          `database ${maskPassword(database.uri)} at ${revision}, newer than ${HEAD_REVISION}: ` +
            "nothing to upgrade, nothing changed; fml serves it in compatibility mode",
        );
        return;
      }
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
