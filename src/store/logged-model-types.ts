/**
 * MLflow 3 logged models as the stores hand them out (spec mlflow3-models-traces §2.1): the
 * `logged_models` row with its tags, params and every `logged_model_metrics` row.
 */

import type { LoggedModelClause, LoggedModelOrderKey } from "../search/logged-models.ts";
import type { Tag } from "./types.ts";

/** By the integer stored in `logged_models.status`. */
export const LOGGED_MODEL_STATUSES = [
  "LOGGED_MODEL_STATUS_UNSPECIFIED",
  "LOGGED_MODEL_PENDING",
  "LOGGED_MODEL_READY",
  "LOGGED_MODEL_UPLOAD_FAILED",
] as const;
export type LoggedModelStatus = (typeof LOGGED_MODEL_STATUSES)[number];

export interface LoggedModelMetric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
  datasetName: string | null;
  datasetDigest: string | null;
  modelId: string;
  runId: string;
}

export interface LoggedModel {
  modelId: string;
  experimentId: string;
  name: string;
  artifactUri: string;
  creationTimestampMs: number;
  lastUpdatedTimestampMs: number;
  status: LoggedModelStatus;
  modelType: string;
  sourceRunId: string;
  lifecycleStage: string;
  tags: Tag[];
  params: Tag[];
  metrics: LoggedModelMetric[];
}

export interface CreateLoggedModel {
  experimentId: string;
  name?: string;
  modelType?: string;
  sourceRunId?: string;
  params: Tag[];
  tags: Tag[];
}

export interface DatasetFilter {
  datasetName: string;
  datasetDigest?: string;
}

export interface SearchLoggedModels {
  experimentIds: string[];
  filter: LoggedModelClause[];
  datasets: DatasetFilter[];
  orderBy: LoggedModelOrderKey[];
  limit: number;
  offset: number;
}

/** A run's links to models (the `inputs` table): MODEL_INPUT and MODEL_OUTPUT rows. */
export interface RunModelLinks {
  modelInputs: { modelId: string }[];
  modelOutputs: { modelId: string; step: number }[];
}

/** A metric logged against a model (log-metric / log-batch with `model_id`). */
export interface ModelMetricInput {
  key: string;
  value: number;
  timestamp: number;
  step: number;
  modelId: string;
  datasetName?: string;
  datasetDigest?: string;
}
