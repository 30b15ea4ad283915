/**
 * MLflow's dataset endpoints (spec §5, §7.1): log a run's dataset inputs, and list the datasets
 * logged to experiments.
 */

import { invalidParameter } from "../errors.ts";
import type { TrackingStore } from "../store/types.ts";
import { validateModelIdReference } from "../validation/logged-models.ts";
import { validateDatasetInputs, validateRunId } from "../validation/tracking.ts";
import type { Endpoint } from "./endpoint.ts";
import { datasetSummaryJson, repeated } from "./json.ts";

/** search-datasets looks in at most this many experiments, as MLflow's handler allows. */
const MAX_EXPERIMENT_IDS = 20;

export function datasetEndpoints(store: TrackingStore): Endpoint[] {
  return [
    {
      methods: ["POST"],
      path: "/mlflow/runs/log-inputs",
      async handle(p) {
        const id = p.string("run_id");
        validateRunId(id);
        const inputs = p.objectList("datasets").map((input) => {
          const dataset = input.object("dataset");
          return {
            tags: input.tags("tags"),
            dataset: {
              name: dataset.string("name"),
              digest: dataset.string("digest"),
              sourceType: dataset.string("source_type"),
              source: dataset.string("source"),
              schema: dataset.optionalString("schema") ?? null,
              profile: dataset.optionalString("profile") ?? null,
            },
          };
        });
        validateDatasetInputs(inputs);
        // MLflow 3: logged models used by the run (the client sends them with model metrics).
        const models = p.objectList("models").map((m) => m.string("model_id"));
        models.forEach(validateModelIdReference);
        await store.logInputs(id, inputs, models);
        return {};
      },
    },
    {
      methods: ["POST"],
      path: "/mlflow/experiments/search-datasets",
      async handle(p) {
        const ids = p.stringList("experiment_ids");
        if (ids.length === 0) {
          throw invalidParameter("SearchDatasets request must specify at least one experiment_id.");
        }
        if (ids.length > MAX_EXPERIMENT_IDS) {
          throw invalidParameter(
            `SearchDatasets request cannot specify more than ${MAX_EXPERIMENT_IDS} experiment_ids. ` +
              `Received ${ids.length} experiment_ids.`,
          );
        }
        const summaries = await store.searchDatasets(ids, 1000);
        return { dataset_summaries: repeated(summaries, datasetSummaryJson) };
      },
    },
  ];
}
