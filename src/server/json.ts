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

/** A repeated field: omitted when empty, as protobuf's JSON printer does. */
export function repeated<T>(list: readonly T[], toJson: (item: T) => Json): Json[] | undefined {
  return list.length > 0 ? list.map((item) => toJson(item)) : undefined;
}

/** Tags, params and every other `{key, value}` list of MLflow's entities and registry. */
export function tagsJson(list: readonly Tag[]): Json[] | undefined {
  return repeated(list, (t) => ({ key: t.key, value: t.value }));
}

export function experimentJson(e: Experiment): Json {
  return {
    experiment_id: e.experimentId,
    name: e.name,
    artifact_location: e.artifactLocation,
    lifecycle_stage: e.lifecycleStage,
    last_update_time: e.lastUpdateTime ?? undefined,
    creation_time: e.creationTime ?? undefined,
    tags: tagsJson(e.tags),
  };
}

export function metricJson(m: Metric): { [key: string]: Json } {
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
    tags: tagsJson(input.tags),
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
      metrics: repeated(run.metrics, metricJson),
      params: tagsJson(run.params),
      tags: tagsJson(run.tags),
    },
    inputs: {
      dataset_inputs: repeated(run.datasetInputs, datasetInputJson),
      model_inputs: repeated(run.modelInputs ?? [], (m) => ({ model_id: m.modelId })),
    },
    // runs/get and runs/search load model outputs; runs/create shows no `outputs`, as MLflow.
    outputs: run.modelOutputs && {
      model_outputs: repeated(run.modelOutputs, (m) => ({ model_id: m.modelId, step: m.step })),
    },
  };
}

export function metricWithRunIdJson(m: MetricWithRunId): Json {
  return { ...metricJson(m), run_id: m.runId };
}

export function datasetSummaryJson(d: DatasetSummary): Json {
  return { experiment_id: d.experimentId, name: d.name, digest: d.digest, context: d.context ?? undefined };
}
