/**
 * MLflow's run endpoints (spec §5): create, update, get, search, delete and restore runs, and
 * log to them: metrics, params, tags and batches.
 */

import { invalidParameter } from "../errors.ts";
import type { Metric, RunStatus, TrackingStore } from "../store/types.ts";
import {
  columnLimits,
  limits,
  validateBatch,
  validateMaxLength,
  validateMetric,
  validateParam,
  validateRunTag,
} from "../validation/tracking.ts";
import type { Endpoint } from "./endpoint.ts";
import { viewTypes } from "./experiment-routes.ts";
import { runInfoJson, runJson } from "./json.ts";
import { maxResults, pageJson, pageOffset } from "./paging.ts";
import type { Params } from "./request.ts";

const runStatuses: readonly RunStatus[] = ["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"];

/**
 * One metric point as log-metric takes it and log-batch lists it; the step defaults to 0. MLflow 3
 * may link it to a logged model and the dataset it was computed on.
 */
function readMetric(p: Params): Metric {
  return {
    key: p.string("key"),
    value: p.double("value"),
    timestamp: p.int("timestamp"),
    step: p.optionalInt("step") ?? 0,
    modelId: p.optionalString("model_id") || undefined,
    datasetName: p.optionalString("dataset_name") || undefined,
    datasetDigest: p.optionalString("dataset_digest") || undefined,
  };
}

export function runEndpoints(store: TrackingStore): Endpoint[] {
  return [
    {
      methods: ["POST"],
      path: "/mlflow/runs/create",
      async handle(p) {
        const tags = p.tags("tags");
        tags.forEach(validateRunTag);
        const userId = p.optionalString("user_id") ?? "";
        validateMaxLength("user_id", userId, columnLimits.userId);
        const runName = p.optionalString("run_name") ?? "";
        validateMaxLength("run_name", runName, columnLimits.runName);
        const run = await store.createRun({
          experimentId: p.optionalString("experiment_id") || "0",
          userId,
          runName,
          startTime: p.optionalInt("start_time") ?? null,
          tags,
        });
        return { run: runJson(run) };
      },
    },
    {
      methods: ["POST"],
      path: "/mlflow/runs/update",
      async handle(p) {
        const id = p.runId();
        const status = p.has("status") ? p.enumValue("status", runStatuses, "RUNNING") : undefined;
        const runName = p.optionalString("run_name");
        validateMaxLength("run_name", runName, columnLimits.runName);
        const info = await store.updateRun(id, { status, endTime: p.optionalInt("end_time"), runName });
        return { run_info: runInfoJson(info) };
      },
    },
    {
      methods: ["POST"],
      path: "/mlflow/runs/delete",
      async handle(p) {
        await store.deleteRun(p.runId());
        return {};
      },
    },
    {
      methods: ["POST"],
      path: "/mlflow/runs/restore",
      async handle(p) {
        await store.restoreRun(p.runId());
        return {};
      },
    },
    {
      methods: ["GET"],
      path: "/mlflow/runs/get",
      async handle(p) {
        return { run: runJson(await store.getRun(p.runId())) };
      },
    },
    {
      methods: ["POST"],
      path: "/mlflow/runs/search",
      async handle(p) {
        const experimentIds = p.stringList("experiment_ids");
        if (experimentIds.length > limits.searchRunsExperimentIds) {
          throw invalidParameter(
            `Invalid value for parameter 'experiment_ids': at most ${limits.searchRunsExperimentIds} ` +
              `experiment IDs can be searched at once, got ${experimentIds.length}.`,
          );
        }
        const page = await store.searchRuns({
          experimentIds,
          filter: p.optionalString("filter"),
          viewType: p.enumValue("run_view_type", viewTypes, "ACTIVE_ONLY"),
          orderBy: p.stringList("order_by"),
          maxResults: maxResults(p, 1000, limits.searchRunsMaxResults),
          offset: pageOffset(p),
        });
        return pageJson("runs", page, runJson);
      },
    },
    {
      methods: ["POST"],
      path: "/mlflow/runs/log-metric",
      async handle(p) {
        const metric = readMetric(p);
        validateMetric(metric);
        await store.logBatch(p.runId(), { metrics: [metric], params: [], tags: [] });
        return {};
      },
    },
    {
      methods: ["POST"],
      path: "/mlflow/runs/log-parameter",
      async handle(p) {
        const param = p.tag();
        validateParam(param);
        await store.logBatch(p.runId(), { metrics: [], params: [param], tags: [] });
        return {};
      },
    },
    {
      methods: ["POST"],
      path: "/mlflow/runs/set-tag",
      async handle(p) {
        const tag = p.tag();
        validateRunTag(tag);
        await store.setTag(p.runId(), tag);
        return {};
      },
    },
    {
      methods: ["POST"],
      path: "/mlflow/runs/delete-tag",
      async handle(p) {
        await store.deleteTag(p.runId(), p.string("key"));
        return {};
      },
    },
    {
      methods: ["POST"],
      path: "/mlflow/runs/log-batch",
      async handle(p) {
        const id = p.string("run_id");
        const batch = {
          metrics: p.objectList("metrics").map(readMetric),
          params: p.tags("params"),
          tags: p.tags("tags"),
        };
        validateBatch(batch);
        await store.logBatch(id, batch);
        return {};
      },
    },
  ];
}
