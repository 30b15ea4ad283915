/**
 * MLflow's dataset endpoints (spec §5, §7.1): log a run's dataset inputs, and list the datasets
 * logged to experiments.
 */

import { invalidParameter } from "../errors.ts";
import type { TrackingStore } from "../store/types.ts";
import { validateModelIdReference } from "../validation/logged-models.ts";
import { validateDatasetInputs } from "../validation/tracking.ts";
import type { Endpoint } from "./endpoint.ts";
import { datasetSummaryJson, repeated } from "./json.ts";

export function datasetEndpoints(store: TrackingStore): Endpoint[] {
  return [
    {
      methods: ["POST"],
      path: "/mlflow/runs/log-inputs",
      async handle(p) {
        const id = p.string("run_id");
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
        if (ids.length === 0) throw invalidParameter("At least one experiment ID must be specified.");
        if (ids.length > 20) {
          throw invalidParameter(`At most 20 experiment IDs can be specified. Got ${ids.length}.`);
        }
        const summaries = await store.searchDatasets(ids, 1000);
        return { dataset_summaries: repeated(summaries, datasetSummaryJson) };
      },
    },
  ];
}
