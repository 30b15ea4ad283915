/**
 * Datasets and their links to runs (log-inputs), and the experiment-wide dataset summaries the UI
 * lists. A dataset is reused within its experiment by (name, digest).
 */

import { chunks, DATASET_CONTEXT_TAG, INSERT_CHUNK, inputTagColumns, lastWins, newUuid, parseExperimentId } from "./common.ts";
import type { Database } from "./db/database.ts";
import { bulkRows, insertIgnoring, list, onConflictDoNothing, sql } from "./db/sql.ts";
import { decodeDatasetSummary, integer, text } from "./rows.ts";
import { logModelInputs } from "./run-models.ts";
import { activeRun } from "./runs.ts";
import type { DatasetInput, DatasetSummary } from "./types.ts";

export async function logInputs(
  db: Database,
  runId: string,
  inputs: readonly DatasetInput[],
  modelIds: readonly string[] = [],
): Promise<void> {
  await db.transaction(async (tx) => {
    await activeRun(tx, runId);
    await logModelInputs(tx, runId, modelIds);
    const [run] = await tx.all(sql`SELECT experiment_id FROM runs WHERE run_uuid = ${runId}`);
    const experimentId = integer(run ?? {}, "runs", "experiment_id");
    for (const input of inputs) {
      const d = input.dataset;
      // Runs of one experiment in other transactions (or fml processes) may log the same new
      // dataset at this moment: the first insert wins, and everyone reads the stored row.
      await tx.run(sql`
        ${insertIgnoring(tx.dialect)} datasets (dataset_uuid, experiment_id, name, digest, dataset_source_type,
          dataset_source, dataset_schema, dataset_profile)
        VALUES (${newUuid()}, ${experimentId}, ${d.name}, ${d.digest}, ${d.sourceType},
          ${d.source}, ${d.schema}, ${d.profile})
        ${onConflictDoNothing(tx.dialect, "experiment_id, name, digest")}`);
      const [stored] = await tx.all(sql`
        SELECT dataset_uuid FROM datasets
        WHERE experiment_id = ${experimentId} AND name = ${d.name} AND digest = ${d.digest}`);
      const datasetUuid = text(stored ?? {}, "datasets", "dataset_uuid");
      const inputUuid = newUuid();
      const linked = await tx.run(sql`
        ${insertIgnoring(tx.dialect)} inputs (input_uuid, source_type, source_id, destination_type, destination_id, step)
        VALUES (${inputUuid}, 'DATASET', ${datasetUuid}, 'RUN', ${runId}, 0)
        ${onConflictDoNothing(tx.dialect)}`);
      // Re-logging the same dataset is a no-op: its link and tags stay as first logged.
      if (linked === 0 || input.tags.length === 0) continue;
      for (const chunk of chunks(lastWins(input.tags), INSERT_CHUNK)) {
        const rows = chunk.map((t) => [inputUuid, t.key, t.value]);
        await tx.run(sql`
          INSERT INTO input_tags (input_uuid, name, value) ${bulkRows(tx.dialect, inputTagColumns, rows)}`);
      }
    }
  });
}

/** Distinct (experiment, name, digest, context) of datasets logged to runs, in that order. */
export async function searchDatasets(db: Database, experimentIds: readonly string[], limit: number): Promise<DatasetSummary[]> {
  const ids = experimentIds.map(parseExperimentId);
  if (ids.length === 0) return [];
  const rows = await db.all(sql`
    SELECT DISTINCT d.experiment_id, d.name, d.digest, t.value AS context
    FROM datasets d
    JOIN inputs i ON i.source_type = 'DATASET' AND i.source_id = d.dataset_uuid
      AND i.destination_type = 'RUN'
    LEFT JOIN input_tags t ON t.input_uuid = i.input_uuid AND t.name = ${DATASET_CONTEXT_TAG}
    WHERE d.experiment_id IN ${list(ids)}
    ORDER BY d.experiment_id, d.name, d.digest, context
    LIMIT ${limit}`);
  return rows.map(decodeDatasetSummary);
}
