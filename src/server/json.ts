/**
 * MLflow's JSON shapes for store entities: snake_case proto field names, unset fields omitted,
 * int64 as numbers and non-finite doubles as the strings "NaN", "Infinity", "-Infinity".
 */

import type {
  DatasetInput,
  DatasetSummary,
  Experiment,
  Metric,
  MetricWithRunId,
  Run,
  RunInfo,
  Tag,
} from "../store/types.ts";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json | undefined };

export function jsonDouble(value: number): number | string {
  return Number.isFinite(value) ? value : String(value);
}

function tags(list: readonly Tag[]): Json[] {
  return list.map((t) => ({ key: t.key, value: t.value }));
}

/** Repeated fields are omitted when empty, as protobuf's JSON printer does. */
function nonEmpty<T>(list: readonly T[], map: (items: readonly T[]) => Json[]): Json[] | undefined {
  return list.length > 0 ? map(list) : undefined;
}

export function experimentJson(e: Experiment): Json {
  return {
    experiment_id: e.experimentId,
    name: e.name,
    artifact_location: e.artifactLocation,
    lifecycle_stage: e.lifecycleStage,
    last_update_time: e.lastUpdateTime ?? undefined,
    creation_time: e.creationTime ?? undefined,
    tags: nonEmpty(e.tags, tags),
  };
}

export function metricJson(m: Metric): Json {
  return { key: m.key, value: jsonDouble(m.value), timestamp: m.timestamp, step: m.step };
}

export function runInfoJson(info: RunInfo): Json {
  return {
    run_uuid: info.runId,
    run_id: info.runId,
    run_name: info.runName,
    experiment_id: info.experimentId,
    user_id: info.userId,
    status: info.status,
    start_time: info.startTime ?? undefined,
    end_time: info.endTime ?? undefined,
    artifact_uri: info.artifactUri,
    lifecycle_stage: info.lifecycleStage,
  };
}

function datasetInputJson(input: DatasetInput): Json {
  const d = input.dataset;
  return {
    tags: nonEmpty(input.tags, tags),
    dataset: {
      name: d.name,
      digest: d.digest,
      source_type: d.sourceType,
      source: d.source,
      schema: d.schema ?? undefined,
      profile: d.profile ?? undefined,
    },
  };
}

export function runJson(run: Run): Json {
  return {
    info: runInfoJson(run.info),
    data: {
      metrics: nonEmpty(run.metrics, (ms) => ms.map(metricJson)),
      params: nonEmpty(run.params, tags),
      tags: nonEmpty(run.tags, tags),
    },
    inputs: {
      dataset_inputs: nonEmpty(run.datasetInputs, (ds) => ds.map(datasetInputJson)),
      model_inputs: nonEmpty(run.modelInputs ?? [], (ms) => ms.map((m) => ({ model_id: m.modelId }))),
    },
    // Only runs/get loads model links, and only there does MLflow show `outputs`.
    outputs: run.modelOutputs && {
      model_outputs: nonEmpty(run.modelOutputs, (ms) => ms.map((m) => ({ model_id: m.modelId, step: m.step }))),
    },
  };
}

export function metricWithRunIdJson(m: MetricWithRunId): Json {
  return { key: m.key, value: jsonDouble(m.value), timestamp: m.timestamp, step: m.step, run_id: m.runId };
}

export function datasetSummaryJson(d: DatasetSummary): Json {
  return { experiment_id: d.experimentId, name: d.name, digest: d.digest, context: d.context ?? undefined };
}
