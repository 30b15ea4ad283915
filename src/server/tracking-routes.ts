/**
 * The MLflow tracking endpoints (spec §4, §5, §7.1): each handler reads and validates the request,
 * calls the store and shapes MLflow's response.
 */

import { invalidParameter } from "../errors.ts";
import { decodePageToken } from "../search/page-token.ts";
import type { Metric, RunStatus, TrackingStore, ViewType } from "../store/types.ts";
import {
  columnLimits,
  limits,
  validateArtifactLocation,
  validateBatch,
  validateDatasetInputs,
  validateExperimentName,
  validateExperimentTag,
  validateMaxLength,
  validateMetric,
  validateParam,
  validateRunTag,
} from "../tracking/validation.ts";
import {
  datasetSummaryJson,
  experimentJson,
  metricJson,
  metricWithRunIdJson,
  runInfoJson,
  runJson,
  type Json,
} from "./json.ts";
import { maxResults, withToken } from "./paging.ts";
import type { Params } from "./request.ts";

export type Method = "GET" | "POST" | "PATCH" | "DELETE";

export interface Endpoint {
  methods: Method[];
  /** Path below the `/api/2.0` and `/ajax-api/2.0` prefixes. */
  path: string;
  /** MLflow's JSON body, or a ready Response for the few endpoints that stream. */
  handle: (params: Params) => Promise<Json | Response>;
}

const runStatuses: readonly RunStatus[] = ["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"];
const viewTypes: readonly ViewType[] = ["ACTIVE_ONLY", "DELETED_ONLY", "ALL"];


const runId = (p: Params): string => p.stringOf("run_id", "run_uuid");

/**
 * `{"metrics": [...]}` written batch by batch as the database yields rows, so a million-point
 * history never sits in memory; an empty history is `{}` like every empty MLflow response.
 */
async function streamHistory(batches: AsyncIterable<Metric[]>): Promise<Response> {
  const iterator = batches[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) return Response.json({});
  const encoder = new TextEncoder();
  let separator = '{"metrics":[';
  const encode = (metrics: Metric[]): Uint8Array => {
    const text = separator + metrics.map((m) => JSON.stringify(metricJson(m))).join(",");
    separator = ",";
    return encoder.encode(text);
  };
  let pending: Metric[] | undefined = first.value;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (pending) {
        controller.enqueue(encode(pending));
        pending = undefined;
        return;
      }
      const next = await iterator.next();
      if (next.done) {
        controller.enqueue(encoder.encode("]}"));
        controller.close();
      } else {
        controller.enqueue(encode(next.value));
      }
    },
    async cancel() {
      await iterator.return?.();
    },
  });
  return new Response(body, { headers: { "content-type": "application/json" } });
}

/** 1..100 run ids, as the bulk history endpoints require. */
function bulkRunIds(p: Params, name: string): string[] {
  const ids = p.stringList(name);
  if (ids.length === 0) {
    throw invalidParameter(`GetMetricHistoryBulk request must specify at least one ${name}.`);
  }
  if (ids.length > 100) {
    throw invalidParameter(
      `GetMetricHistoryBulk request cannot specify more than 100 ${name}s. Received ${ids.length} ${name}s.`,
    );
  }
  return ids;
}

export function trackingEndpoints(store: TrackingStore): Endpoint[] {
  return [
    // ---------------------------------------------------------------- experiments
    {
      methods: ["POST"],
      path: "/mlflow/experiments/create",
      async handle(p) {
        const name = p.string("name");
        validateExperimentName(name);
        const artifactLocation = p.optionalString("artifact_location") || undefined;
        if (artifactLocation) validateArtifactLocation(artifactLocation);
        validateMaxLength("artifact_location", artifactLocation, columnLimits.artifactLocation);
        const tags = p.tags("tags");
        tags.forEach(validateExperimentTag);
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
          maxResults: Math.max(
            1,
            maxResults(p, 1000, limits.searchExperimentsMaxResults),
          ),
          offset: decodePageToken(p.optionalString("page_token")),
        });
        return withToken(
          { experiments: page.items.length ? page.items.map(experimentJson) : undefined },
          page,
        );
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
        const tag = { key: p.string("key"), value: p.optionalString("value") ?? "" };
        validateExperimentTag(tag);
        await store.setExperimentTag(p.string("experiment_id"), tag);
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
    // ---------------------------------------------------------------- runs
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
        const id = runId(p);
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
        await store.deleteRun(runId(p));
        return {};
      },
    },
    {
      methods: ["POST"],
      path: "/mlflow/runs/restore",
      async handle(p) {
        await store.restoreRun(runId(p));
        return {};
      },
    },
    {
      methods: ["GET"],
      path: "/mlflow/runs/get",
      async handle(p) {
        return { run: runJson(await store.getRun(runId(p))) };
      },
    },
    {
      methods: ["POST"],
      path: "/mlflow/runs/search",
      async handle(p) {
        const page = await store.searchRuns({
          experimentIds: p.stringList("experiment_ids"),
          filter: p.optionalString("filter"),
          viewType: p.enumValue("run_view_type", viewTypes, "ACTIVE_ONLY"),
          orderBy: p.stringList("order_by"),
          maxResults: maxResults(p, 1000, limits.searchRunsMaxResults),
          offset: decodePageToken(p.optionalString("page_token")),
        });
        return withToken({ runs: page.items.length ? page.items.map(runJson) : undefined }, page);
      },
    },
    {
      methods: ["POST"],
      path: "/mlflow/runs/log-metric",
      async handle(p) {
        const metric = {
          key: p.string("key"),
          value: p.double("value"),
          timestamp: p.int("timestamp"),
          step: p.optionalInt("step") ?? 0,
        };
        validateMetric(metric);
        await store.logBatch(runId(p), { metrics: [metric], params: [], tags: [] });
        return {};
      },
    },
    {
      methods: ["POST"],
      path: "/mlflow/runs/log-parameter",
      async handle(p) {
        const param = { key: p.string("key"), value: p.optionalString("value") ?? "" };
        validateParam(param);
        await store.logBatch(runId(p), { metrics: [], params: [param], tags: [] });
        return {};
      },
    },
    {
      methods: ["POST"],
      path: "/mlflow/runs/set-tag",
      async handle(p) {
        const tag = { key: p.string("key"), value: p.optionalString("value") ?? "" };
        validateRunTag(tag);
        await store.setTag(runId(p), tag);
        return {};
      },
    },
    {
      methods: ["POST"],
      path: "/mlflow/runs/delete-tag",
      async handle(p) {
        await store.deleteTag(runId(p), p.string("key"));
        return {};
      },
    },
    {
      methods: ["POST"],
      path: "/mlflow/runs/log-batch",
      async handle(p) {
        const id = p.string("run_id");
        const batch = {
          metrics: p.objectList("metrics").map((m) => ({
            key: m.string("key"),
            value: m.double("value"),
            timestamp: m.int("timestamp"),
            step: m.optionalInt("step") ?? 0,
          })),
          params: p.tags("params"),
          tags: p.tags("tags"),
        };
        validateBatch(batch);
        await store.logBatch(id, batch);
        return {};
      },
    },
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
        await store.logInputs(id, inputs);
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
        return { dataset_summaries: summaries.length ? summaries.map(datasetSummaryJson) : undefined };
      },
    },
    // ---------------------------------------------------------------- metric history
    {
      methods: ["GET"],
      path: "/mlflow/metrics/get-history",
      async handle(p) {
        const key = p.string("metric_key");
        const limit = p.optionalInt("max_results");
        const token = p.optionalString("page_token");
        // Without paging MLflow returns the whole history: stream it, however long it is.
        if (limit === undefined && !token) {
          return streamHistory(await store.streamMetricHistory(runId(p), key));
        }
        if (limit !== undefined && limit < 1) {
          throw invalidParameter(
            `Invalid value for request parameter max_results. It must be a positive integer, but got value ${limit}`,
          );
        }
        const page = await store.getMetricHistory({
          runId: runId(p),
          key,
          maxResults: limit,
          offset: decodePageToken(token),
        });
        return withToken(
          { metrics: page.items.length ? page.items.map(metricJson) : undefined },
          page,
        );
      },
    },
    {
      methods: ["GET"],
      path: "/mlflow/metrics/get-history-bulk",
      async handle(p) {
        const runIds = bulkRunIds(p, "run_id");
        const key = p.string("metric_key");
        const limit = Math.min(p.optionalInt("max_results") ?? 25000, 25000);
        const metrics = await store.getMetricHistoryBulk(runIds, key, Math.max(limit, 1));
        return { metrics: metrics.map(metricWithRunIdJson) };
      },
    },
    {
      methods: ["GET"],
      path: "/mlflow/metrics/get-history-bulk-interval",
      async handle(p) {
        const runIds = bulkRunIds(p, "run_ids");
        const key = p.string("metric_key");
        const startStep = p.optionalInt("start_step");
        const endStep = p.optionalInt("end_step");
        if ((startStep === undefined) !== (endStep === undefined)) {
          throw invalidParameter("If either start step or end step are specified, both must be specified.");
        }
        if (startStep !== undefined && endStep !== undefined && startStep > endStep) {
          throw invalidParameter("end_step must be greater than start_step. ");
        }
        const maxResults = p.optionalInt("max_results") ?? 2500;
        if (maxResults < 1 || maxResults > 2500) {
          throw invalidParameter(`max_results must be between 1 and 2500, got ${maxResults}.`);
        }
        const metrics = await store.getMetricHistoryBulkInterval({ runIds, key, startStep, endStep, maxResults });
        return { metrics: metrics.length ? metrics.map(metricWithRunIdJson) : undefined };
      },
    },
  ];
}
