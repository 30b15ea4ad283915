/**
 * `fml gc`: permanently removes deleted runs and experiments with their artifacts, as
 * `mlflow gc` does. `--run-ids` and `--experiment-ids` limit it to exactly those (each must be
 * deleted); `--dry-run` only lists. A run whose artifacts cannot be removed is kept for the next
 * gc (and the exit status is 1), so no artifact is ever orphaned without a record.
 */

import { defineCommand, type ArgsDef } from "citty";
import { parseDatabaseUri, parseDuration, resolveArtifactRoot } from "../config.ts";
import { MlflowError } from "../errors.ts";
import { resolveArtifactStore, type ResolverOptions } from "../artifacts/resolve.ts";
import {
  hardDeleteExperiment,
  hardDeleteLoggedModel,
  hardDeleteRun,
  openGcDatabase,
  planGc,
  type GcLoggedModel,
  type GcRun,
} from "../store/gc.ts";
import { databaseUriFlag, rejectUnknownFlags, s3EndpointUriFlag } from "./flags.ts";

const gcArgs = {
  "database-uri": databaseUriFlag,
  "artifacts-destination": {
    type: "string",
    description: "where the server stores proxied (mlflow-artifacts:) artifacts [env FML_ARTIFACTS_DESTINATION] (default ./mlartifacts)",
  },
  "s3-endpoint-uri": s3EndpointUriFlag,
  "older-than": {
    type: "string",
    description: "only what was deleted at least this long ago, e.g. 30d, 12h, 1d6h (default: all deleted)",
  },
  "run-ids": { type: "string", description: "comma-separated run ids: remove only these deleted runs" },
  "experiment-ids": {
    type: "string",
    description: "comma-separated experiment ids: remove only these deleted experiments and their runs",
  },
  "dry-run": { type: "boolean", description: "list what would be removed, change nothing" },
} as const satisfies ArgsDef;

const ids = (value: unknown): string[] | undefined =>
  typeof value === "string" ? value.split(",").map((s) => s.trim()).filter(Boolean) : undefined;

const text = (value: unknown, env: string | undefined): string | undefined =>
  typeof value === "string" && value !== "" ? value : env || undefined;

/** Removes a run's artifact directory: `<location>/<run_id>` when the URI has MLflow's shape. */
async function deleteRunArtifacts(run: GcRun, resolver: ResolverOptions): Promise<void> {
  if (run.artifactUri === "") return;
  const shaped = /^(.*)\/([^/]+)\/artifacts\/?$/.exec(run.artifactUri);
  if (shaped && shaped[2] === run.runId) {
    await resolveArtifactStore(shaped[1] as string, resolver).delete(run.runId);
  } else {
    await resolveArtifactStore(run.artifactUri, resolver).delete("");
  }
}

/** Removes a logged model's files: `<root>/models/<model_id>` when the URI has MLflow's shape. */
async function deleteLoggedModelArtifacts(model: GcLoggedModel, resolver: ResolverOptions): Promise<void> {
  const shaped = /^(.*)\/([^/]+)\/artifacts\/?$/.exec(model.artifactLocation);
  if (shaped && shaped[2] === model.modelId) {
    await resolveArtifactStore(shaped[1] as string, resolver).delete(model.modelId);
  } else {
    await resolveArtifactStore(model.artifactLocation, resolver).delete("");
  }
}

export const gcCommand = defineCommand({
  meta: {
    name: "gc",
    description: "Permanently remove deleted runs and experiments, with their artifacts (like mlflow gc)",
  },
  args: gcArgs,
  async run({ args, rawArgs }) {
    rejectUnknownFlags(rawArgs, gcArgs);
    const env = process.env;
    const cwd = process.cwd();
    const database = parseDatabaseUri(
      text(args["database-uri"], env.FML_DATABASE_URI ?? env.FML_BACKEND_STORE_URI) ?? "sqlite://fml.db",
      cwd,
    );
    const resolver: ResolverOptions = {
      artifactsDestination: resolveArtifactRoot(
        text(args["artifacts-destination"], env.FML_ARTIFACTS_DESTINATION) ?? "./mlartifacts",
        cwd,
      ),
      s3EndpointUri: text(args["s3-endpoint-uri"], env.FML_S3_ENDPOINT_URI ?? env.MLFLOW_S3_ENDPOINT_URL),
    };
    const olderThan = text(args["older-than"], undefined);
    const olderThanMs = olderThan === undefined ? undefined : parseDuration(olderThan, "--older-than");
    const dryRun = args["dry-run"] === true;

    const db = await openGcDatabase(database);
    try {
      const plan = await planGc(db, {
        olderThanMs,
        runIds: ids(args["run-ids"]),
        experimentIds: ids(args["experiment-ids"]),
      });
      if (dryRun) {
        for (const run of plan.runs) {
          console.log(`would remove run ${run.runId} (experiment ${run.experimentId}) and its artifacts at ${run.artifactUri || "-"}`);
        }
        for (const e of plan.experiments) console.log(`would remove experiment ${e.experimentId} (${e.name})`);
        for (const m of plan.loggedModels) {
          console.log(`would remove logged model ${m.modelId} (experiment ${m.experimentId}) and its artifacts at ${m.artifactLocation}`);
        }
        console.log(`dry run: ${plan.runs.length} runs and ${plan.experiments.length} experiments would be removed; nothing changed`);
        return;
      }
      const kept = new Set<string>();
      for (const run of plan.runs) {
        try {
          await deleteRunArtifacts(run, resolver);
        } catch (error) {
          if (error instanceof MlflowError && error.code === "NOT_IMPLEMENTED") {
            // As mlflow gc: artifacts fml cannot reach by design do not keep the run alive.
            console.error(`artifacts of run ${run.runId} left in place: ${error.message}`);
          } else {
            console.error(`run ${run.runId} kept: cannot remove its artifacts at ${run.artifactUri}: ${(error as Error).message}`);
            kept.add(run.runId);
            kept.add(`experiment:${run.experimentId}`);
            continue;
          }
        }
        await hardDeleteRun(db, run.runId);
        console.log(`Run with ID ${run.runId} has been permanently deleted.`);
      }
      for (const m of plan.loggedModels) {
        try {
          await deleteLoggedModelArtifacts(m, resolver);
        } catch (error) {
          if (error instanceof MlflowError && error.code === "NOT_IMPLEMENTED") {
            console.error(`artifacts of logged model ${m.modelId} left in place: ${error.message}`);
          } else {
            console.error(`logged model ${m.modelId} kept: cannot remove its artifacts at ${m.artifactLocation}: ${(error as Error).message}`);
            kept.add(m.modelId);
            continue;
          }
        }
        await hardDeleteLoggedModel(db, m.modelId);
        console.log(`Logged model with ID ${m.modelId} has been permanently deleted.`);
      }
      for (const e of plan.experiments) {
        if (kept.has(`experiment:${e.experimentId}`)) {
          console.error(`experiment ${e.experimentId} kept: some of its runs could not be removed`);
          continue;
        }
        await hardDeleteExperiment(db, e.experimentId);
        console.log(`Experiment with ID ${e.experimentId} has been permanently deleted.`);
      }
      if (kept.size > 0) process.exitCode = 1;
    } finally {
      await db.close();
    }
  },
});
