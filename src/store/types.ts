/**
 * The store contract: MLflow's tracking entities and the operations on them, independent of any
 * database and of HTTP. One implementation per database; one test suite for all of them.
 */

export type LifecycleStage = "active" | "deleted";
export type RunStatus = "RUNNING" | "SCHEDULED" | "FINISHED" | "FAILED" | "KILLED";
export type ViewType = "ACTIVE_ONLY" | "DELETED_ONLY" | "ALL";

export interface Tag {
  key: string;
  value: string;
}

export interface Experiment {
  experimentId: string;
  name: string;
  artifactLocation: string;
  lifecycleStage: LifecycleStage;
  creationTime: number | null;
  lastUpdateTime: number | null;
  tags: Tag[];
}

export interface RunInfo {
  runId: string;
  experimentId: string;
  runName: string;
  userId: string;
  status: RunStatus;
  startTime: number | null;
  endTime: number | null;
  artifactUri: string;
  lifecycleStage: LifecycleStage;
}

/** A metric point. `value` may be NaN or ±Infinity on the way in; the store keeps MLflow's encoding. */
export interface Metric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
  /** MLflow 3: a metric of a logged model (and of the dataset it was computed on); written twice. */
  modelId?: string;
  datasetName?: string;
  datasetDigest?: string;
}

export interface Dataset {
  name: string;
  digest: string;
  sourceType: string;
  source: string;
  schema: string | null;
  profile: string | null;
}

export interface DatasetInput {
  tags: Tag[];
  dataset: Dataset;
}

export interface Run {
  info: RunInfo;
  metrics: Metric[];
  params: Tag[];
  tags: Tag[];
  datasetInputs: DatasetInput[];
  /** Logged models the run used and produced (runs/get only). */
  modelInputs?: { modelId: string }[];
  modelOutputs?: { modelId: string; step: number }[];
}

export interface Page<T> {
  items: T[];
  /** Offset of the next page, absent on the last page. */
  nextOffset?: number;
}

export interface CreateExperiment {
  name: string;
  artifactLocation?: string;
  tags: Tag[];
}

export interface SearchExperiments {
  viewType: ViewType;
  filter?: string;
  orderBy: string[];
  maxResults: number;
  offset: number;
}

export interface CreateRun {
  experimentId: string;
  userId: string;
  runName: string;
  startTime: number | null;
  tags: Tag[];
}

export interface UpdateRun {
  status?: RunStatus;
  endTime?: number;
  runName?: string;
}

export interface LogBatch {
  metrics: Metric[];
  params: Tag[];
  tags: Tag[];
}

export interface SearchRuns {
  experimentIds: string[];
  filter?: string;
  viewType: ViewType;
  orderBy: string[];
  maxResults: number;
  offset: number;
}

export interface MetricHistoryQuery {
  runId: string;
  key: string;
  maxResults?: number;
  offset: number;
}

/** A metric point of one run, as the bulk history endpoints return it. */
export interface MetricWithRunId extends Metric {
  runId: string;
}

export interface DatasetSummary {
  experimentId: string;
  name: string;
  digest: string;
  context: string | null;
}

export interface BulkIntervalQuery {
  runIds: string[];
  key: string;
  /** Both or neither; default [0, largest step logged]. */
  startStep?: number;
  endStep?: number;
  maxResults: number;
}

export interface TrackingStore {
  readonly kind: "sqlite" | "postgresql" | "mysql";
  /** Value lengths this database holds where they differ between MLflow releases. */
  readonly limits: { readonly experimentTagValue: number };

  createExperiment(input: CreateExperiment): Promise<string>;
  getExperiment(experimentId: string): Promise<Experiment>;
  getExperimentByName(name: string): Promise<Experiment>;
  searchExperiments(query: SearchExperiments): Promise<Page<Experiment>>;
  renameExperiment(experimentId: string, newName: string): Promise<void>;
  deleteExperiment(experimentId: string): Promise<void>;
  restoreExperiment(experimentId: string): Promise<void>;
  setExperimentTag(experimentId: string, tag: Tag): Promise<void>;
  deleteExperimentTag(experimentId: string, key: string): Promise<void>;

  createRun(input: CreateRun): Promise<Run>;
  getRun(runId: string): Promise<Run>;
  updateRun(runId: string, update: UpdateRun): Promise<RunInfo>;
  deleteRun(runId: string): Promise<void>;
  restoreRun(runId: string): Promise<void>;
  setTag(runId: string, tag: Tag): Promise<void>;
  deleteTag(runId: string, key: string): Promise<void>;
  /** Atomic: every param, metric and tag is stored, or none is. */
  logBatch(runId: string, batch: LogBatch): Promise<void>;
  getMetricHistory(query: MetricHistoryQuery): Promise<Page<Metric>>;
  /** A run's whole history of one metric in MLflow's order, in batches (404 if the run is unknown). */
  streamMetricHistory(runId: string, key: string): Promise<AsyncIterable<Metric[]>>;
  searchRuns(query: SearchRuns): Promise<Page<Run>>;
  /** Links datasets to a run; a dataset is reused within its experiment by (name, digest). */
  /** Datasets and (MLflow 3) logged models as inputs of a run. */
  logInputs(runId: string, inputs: DatasetInput[], modelIds?: string[]): Promise<void>;
  searchDatasets(experimentIds: string[], limit: number): Promise<DatasetSummary[]>;
  /** Each run's full history of one metric, runs in id order, capped at `maxResults` in total. */
  getMetricHistoryBulk(runIds: string[], key: string, maxResults: number): Promise<MetricWithRunId[]>;
  /** MLflow's sampled history for charts: evenly spread steps plus each run's first and last. */
  getMetricHistoryBulkInterval(query: BulkIntervalQuery): Promise<MetricWithRunId[]>;

  /** Cheap query proving the database answers (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
