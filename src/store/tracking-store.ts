/**
 * The tracking store: MLflow's tracking semantics on MLflow's own schema, written once for every
 * SQL database. This class only binds the store contract (types.ts) to one `Database`; each
 * entity's operations live in their own module (experiments, runs, logging, datasets, metric
 * history), as free functions a transaction can call with its own handle. Nothing here knows
 * about HTTP.
 */

import type { Database } from "./db/database.ts";
import { sql } from "./db/sql.ts";
import { logInputs, searchDatasets } from "./datasets.ts";
import { DenseStepRanges } from "./dense-steps.ts";
import {
  createExperiment,
  deleteExperimentTag,
  ensureDefaultExperiment,
  experimentById,
  getExperimentByName,
  renameExperiment,
  searchExperiments,
  setExperimentLifecycle,
  setExperimentTag,
} from "./experiments.ts";
import { logBatch } from "./logging.ts";
import {
  getMetricHistory,
  getMetricHistoryBulk,
  getMetricHistoryBulkInterval,
  streamMetricHistory,
} from "./metric-history.ts";
import { createRun, deleteTag, getRun, searchRuns, setRunLifecycle, setTag, updateRun } from "./runs.ts";
import type {
  BulkIntervalQuery,
  CreateExperiment,
  CreateRun,
  DatasetInput,
  DatasetSummary,
  Experiment,
  LogBatch,
  Metric,
  MetricHistoryQuery,
  MetricWithRunId,
  Page,
  Run,
  RunInfo,
  SearchExperiments,
  SearchRuns,
  Tag,
  TrackingStore,
  UpdateRun,
} from "./types.ts";
import { HEAD_LIMITS, type SchemaLimits } from "./schema/compatibility.ts";

export interface TrackingStoreOptions {
  /** Where new experiments' artifacts go: `<root>/<experiment_id>`. */
  defaultArtifactRoot: string;
  /** What the database's columns hold (default: fml's head schema's). */
  limits?: SchemaLimits;
}

export class SqlTrackingStore implements TrackingStore {
  readonly kind;
  readonly limits: SchemaLimits;
  /** Per process: which metric histories are known dense (see dense-steps.ts). */
  private readonly denseSteps = new DenseStepRanges();

  constructor(
    private readonly db: Database,
    private readonly options: TrackingStoreOptions,
  ) {
    this.kind = db.dialect;
    this.limits = options.limits ?? HEAD_LIMITS;
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  /** Reads the schema's revision: a MySQL server answers `SELECT 1` even with the database gone. */
  async ping(): Promise<void> {
    await this.db.all(sql`SELECT version_num FROM alembic_version LIMIT 1`);
  }

  ensureDefaultExperiment(): Promise<void> {
    return ensureDefaultExperiment(this.db, this.options.defaultArtifactRoot);
  }

  // Experiments

  createExperiment(input: CreateExperiment): Promise<string> {
    return createExperiment(this.db, this.options.defaultArtifactRoot, input);
  }

  getExperiment(experimentId: string): Promise<Experiment> {
    return experimentById(this.db, experimentId);
  }

  getExperimentByName(name: string): Promise<Experiment> {
    return getExperimentByName(this.db, name);
  }

  searchExperiments(query: SearchExperiments): Promise<Page<Experiment>> {
    return searchExperiments(this.db, query);
  }

  renameExperiment(experimentId: string, newName: string): Promise<void> {
    return renameExperiment(this.db, experimentId, newName);
  }

  deleteExperiment(experimentId: string): Promise<void> {
    return setExperimentLifecycle(this.db, experimentId, "deleted");
  }

  restoreExperiment(experimentId: string): Promise<void> {
    return setExperimentLifecycle(this.db, experimentId, "active");
  }

  setExperimentTag(experimentId: string, tag: Tag): Promise<void> {
    return setExperimentTag(this.db, experimentId, tag);
  }

  deleteExperimentTag(experimentId: string, key: string): Promise<void> {
    return deleteExperimentTag(this.db, experimentId, key);
  }

  // Runs

  createRun(input: CreateRun): Promise<Run> {
    return createRun(this.db, input);
  }

  getRun(runId: string): Promise<Run> {
    return getRun(this.db, runId);
  }

  updateRun(runId: string, update: UpdateRun): Promise<RunInfo> {
    return updateRun(this.db, runId, update);
  }

  deleteRun(runId: string): Promise<void> {
    return setRunLifecycle(this.db, runId, "deleted");
  }

  restoreRun(runId: string): Promise<void> {
    return setRunLifecycle(this.db, runId, "active");
  }

  setTag(runId: string, tag: Tag): Promise<void> {
    return setTag(this.db, runId, tag);
  }

  deleteTag(runId: string, key: string): Promise<void> {
    return deleteTag(this.db, runId, key);
  }

  searchRuns(query: SearchRuns): Promise<Page<Run>> {
    return searchRuns(this.db, query);
  }

  // Logging and datasets

  logBatch(runId: string, batch: LogBatch): Promise<void> {
    return logBatch(this.db, runId, batch);
  }

  logInputs(runId: string, inputs: DatasetInput[], modelIds: string[] = []): Promise<void> {
    return logInputs(this.db, runId, inputs, modelIds);
  }

  searchDatasets(experimentIds: string[], limit: number): Promise<DatasetSummary[]> {
    return searchDatasets(this.db, experimentIds, limit);
  }

  // Metric history

  getMetricHistory(query: MetricHistoryQuery): Promise<Page<Metric>> {
    return getMetricHistory(this.db, query);
  }

  streamMetricHistory(runId: string, key: string): Promise<AsyncIterable<Metric[]>> {
    return streamMetricHistory(this.db, runId, key);
  }

  getMetricHistoryBulk(runIds: string[], key: string, maxResults: number): Promise<MetricWithRunId[]> {
    return getMetricHistoryBulk(this.db, runIds, key, maxResults);
  }

  getMetricHistoryBulkInterval(query: BulkIntervalQuery): Promise<MetricWithRunId[]> {
    return getMetricHistoryBulkInterval(this.db, this.denseSteps, query);
  }
}
