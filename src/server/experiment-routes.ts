/**
 * MLflow's experiment endpoints (spec §4): create, search, get, rename, delete and restore
 * experiments, and set or delete their tags.
 */

import { resolveUriIfLocal } from "../artifacts/locations.ts";
import type { TrackingStore, ViewType } from "../store/types.ts";
import {
  columnLimits,
  limits,
  validateArtifactLocation,
  validateMaxLength,
  validateExperimentName,
  validateExperimentTag,
} from "../validation/tracking.ts";
import type { Endpoint } from "./endpoint.ts";
import { experimentJson } from "./json.ts";
import { maxResults, pageJson, pageOffset, trackingStoreAtMost, trackingStorePositive } from "./paging.ts";

export const viewTypes: readonly ViewType[] = ["ACTIVE_ONLY", "DELETED_ONLY", "ALL"];

export function experimentEndpoints(store: TrackingStore): Endpoint[] {
  return [
    {
      methods: ["POST"],
      path: "/mlflow/experiments/create",
      async handle(p) {
        const name = p.string("name");
        validateExperimentName(name);
        const requested = p.optionalString("artifact_location") || undefined;
        if (requested) validateArtifactLocation(requested);
        const artifactLocation = requested && resolveUriIfLocal(requested);
        // MLflow checks the length of the resolved location.
        if (artifactLocation) validateArtifactLocation(artifactLocation);
        validateMaxLength("artifact_location", artifactLocation, columnLimits.artifactLocation);
        const tags = p.tags("tags");
        for (const tag of tags) validateExperimentTag(tag, store.limits.experimentTagValue);
        const experimentId = await store.createExperiment({ name, artifactLocation, tags });
        return { experiment_id: experimentId };
      },
    },
    {
      methods: ["GET", "POST"],
      path: "/mlflow/experiments/search",
      async handle(p) {
        const page = await store.searchExperiments({
          viewType: p.enumValue("view_type", viewTypes, "ACTIVE_ONLY"),
          filter: p.optionalString("filter"),
          orderBy: p.stringList("order_by"),
          // MLflow refuses an absent max_results (its proto has no default); clients send 1000.
          maxResults: maxResults(p, 1000, limits.searchExperimentsMaxResults, {
            tooLarge: trackingStoreAtMost(limits.searchExperimentsMaxResults),
            notPositive: trackingStorePositive,
          }),
          offset: pageOffset(p),
        });
        return pageJson("experiments", page, experimentJson);
      },
    },
    {
      methods: ["GET"],
      path: "/mlflow/experiments/get",
      async handle(p) {
        return { experiment: experimentJson(await store.getExperiment(p.string("experiment_id"))) };
      },
    },
    {
      methods: ["GET"],
      path: "/mlflow/experiments/get-by-name",
      async handle(p) {
        const experiment = await store.getExperimentByName(p.string("experiment_name"));
        return { experiment: experimentJson(experiment) };
      },
    },
    {
      methods: ["POST"],
      path: "/mlflow/experiments/delete",
      async handle(p) {
        await store.deleteExperiment(p.string("experiment_id"));
        return {};
      },
    },
    {
      methods: ["POST"],
      path: "/mlflow/experiments/restore",
      async handle(p) {
        await store.restoreExperiment(p.string("experiment_id"));
        return {};
      },
    },
    {
      methods: ["POST"],
      path: "/mlflow/experiments/update",
      async handle(p) {
        const experimentId = p.string("experiment_id");
        const newName = p.string("new_name");
        validateExperimentName(newName);
        await store.renameExperiment(experimentId, newName);
        return {};
      },
    },
    {
      methods: ["POST"],
      path: "/mlflow/experiments/set-experiment-tag",
      async handle(p) {
        // experiment_id first, as MLflow's request schema checks it.
        const experimentId = p.string("experiment_id");
        const tag = p.tag();
        validateExperimentTag(tag, store.limits.experimentTagValue);
        await store.setExperimentTag(experimentId, tag);
        return {};
      },
    },
    {
      methods: ["POST"],
      path: "/mlflow/experiments/delete-experiment-tag",
      async handle(p) {
        await store.deleteExperimentTag(p.string("experiment_id"), p.string("key"));
        return {};
      },
    },
  ];
}
