/**
 * The one error fml raises when a database's schema is not something it can serve or upgrade.
 * Its message is shown to the user as is, so it always says what was found and what to do next.
 */

import type { Compatibility } from "./compatibility.ts";
import { HEAD_REVISION, type SchemaPlan, SUPPORTED_REVISIONS } from "./migrations.ts";

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

/** A revision fml does not replay whose live schema lacks something fml reads or writes. */
export function incompatible(found: Compatibility): SchemaError {
  return new SchemaError(
    `the database is at alembic revision ${found.revision}, which fml does not know (it creates ` +
      `${HEAD_REVISION}), and its schema lacks what fml needs: ${found.problems.join("; ")}. ` +
      "It was left unchanged.",
  );
}
