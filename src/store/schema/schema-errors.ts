/**
 * The one error fml raises when a database's schema is not something it can serve or upgrade.
 * Its message is shown to the user as is, so it always says what was found and what to do next.
 */

import type { Compatibility } from "./compatibility.ts";
import { HEAD_REVISION, OLDEST_REVISION, type SchemaPlan, SUPPORTED_REVISIONS } from "./migrations.ts";

export class SchemaError extends Error {
  override name = "SchemaError";
}

export function upgradeNeeded(from: string, databaseUri: string | undefined): SchemaError {
  return new SchemaError(
    `the database holds an older MLflow schema (alembic revision ${from}); fml serves ${HEAD_REVISION}. ` +
      `Back it up, then run: fml db upgrade --database-uri ${databaseUri ?? "<uri>"} ` +
      "(or start the server with --database-migrate).",
  );
}

export function refusal(plan: SchemaPlan): SchemaError {
  const supported = `fml supports MLflow revisions ${SUPPORTED_REVISIONS.join(", ")}`;
  if (plan.kind === "unknown") {
    return new SchemaError(
      `the database is at alembic revision ${plan.revision}, which fml does not know; ${supported}. ` +
        "It was left unchanged.",
    );
  }
  return new SchemaError(
    `the database has tables but no MLflow alembic_version, so it is not an MLflow database; ` +
      `fml left it unchanged. ${supported}.`,
  );
}

/** Problems named in one refusal line; `fml db check` lists them all. */
const SHOWN_PROBLEMS = 5;

/** A revision fml does not replay whose live schema lacks something fml reads or writes. */
export function incompatible(found: Compatibility): SchemaError {
  const shown = found.problems.slice(0, SHOWN_PROBLEMS).join("; ");
  const more = found.problems.length - SHOWN_PROBLEMS;
  return new SchemaError(
    `the database is at alembic revision ${found.revision}, which fml does not know, and its schema ` +
      `lacks what fml reads and writes: ${shown}${more > 0 ? ` and ${more} more (fml db check lists them)` : ""}. ` +
      `fml upgrades MLflow revisions ${OLDEST_REVISION} to ${HEAD_REVISION} (MLflow 1.21 to 3.11) and serves ` +
      "newer ones whose schema has all it needs. It was left unchanged.",
  );
}
