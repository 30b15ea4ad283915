/**
 * A black-box check that a running fml serves, through its HTTP API only, what a real-MLflow
 * fixture's manifest (see fixtures.ts) says MLflow served. The check collects every mismatch
 * instead of stopping at the first, so one failing test names all that is wrong.
 */

import { chmodSync, cpSync, existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fixturePath, type FixtureManifest } from "./fixtures.ts";
import type { Backend, FmlServer } from "./server.ts";

// ---------------------------------------------------------------------------------------------
// Manifest

/** Numbers, or "NaN" / "Infinity" / "-Infinity" as MLflow's JSON writes non-finite doubles. */
export type JsonDouble = number | string;
export type Dict = Record<string, string>;

export interface ExpectedExperiment {
  experiment_id: string;
  name: string;
  artifact_location?: string;
  lifecycle_stage?: string;
  tags?: Dict;
  creation_time?: number | null;
  last_update_time?: number | null;
}

export interface ExpectedMetric {
  value: JsonDouble;
  timestamp: number;
  step: number;
}

export interface ExpectedDataset {
  name: string;
  digest: string;
  source_type: string;
  source: string;
  schema?: string | null;
  profile?: string | null;
}

export interface ExpectedRun {
  run_id: string;
  experiment_id: string;
  run_name?: string;
  status?: string;
  start_time?: number | null;
  end_time?: number | null;
  lifecycle_stage?: string;
  user_id?: string;
  artifact_uri?: string;
  params?: Dict;
  tags?: Dict;
  metrics?: Record<string, ExpectedMetric>;
  dataset_inputs?: { dataset: ExpectedDataset; tags: Dict }[];
}

export interface ExpectedRegisteredModel {
  name: string;
  description?: string;
  tags?: Dict;
  creation_timestamp?: number | null;
  last_updated_timestamp?: number | null;
  latest_versions?: { version: string; current_stage: string }[];
  aliases?: Dict;
}

export interface ExpectedModelVersion {
  name: string;
  version: string;
  source?: string;
  run_id?: string;
  status?: string;
  current_stage?: string;
  description?: string;
  tags?: Dict;
  aliases?: string[];
  user_id?: string;
  run_link?: string;
  creation_timestamp?: number | null;
  last_updated_timestamp?: number | null;
}

export interface ExpectedArtifact {
  path: string;
  is_dir: boolean;
  file_size?: number;
  sha256?: string;
}

export interface ExpectedContents {
  experiments: Record<string, ExpectedExperiment>;
  search_order: Record<string, string[]>;
  runs: Record<string, ExpectedRun>;
  metric_histories: Record<string, Record<string, ExpectedMetric[]>>;
  artifacts?: Record<string, ExpectedArtifact[]>;
  registered_models?: Record<string, ExpectedRegisteredModel>;
  model_versions?: Record<string, ExpectedModelVersion>;
}

/**
 * What fml must serve from a fixture database: fml upgrades old schemas to the newest MLflow's, so
 * it is what the newest MLflow served after `mlflow db upgrade` when the manifest records that.
 */
export function expectedContents(manifest: FixtureManifest, backend: Backend): ExpectedContents {
  const section = manifest.backends[backend];
  if (!section) throw new Error(`the fixture of MLflow ${manifest.mlflow_version} has no ${backend} database`);
  return (section.expected_after_upgrade?.expected ?? section.expected) as unknown as ExpectedContents;
}

function makeWritable(path: string): void {
  const stat = statSync(path);
  chmodSync(path, stat.isDirectory() ? 0o755 : 0o644);
  if (stat.isDirectory()) for (const name of readdirSync(path)) makeWritable(join(path, name));
}

/** A writable copy of the fixture's artifact store inside `dir`; returns its path. */
export function copyFixtureArtifacts(version: string, dir: string): string {
  const target = join(dir, "artifacts");
  cpSync(fixturePath(version, "artifacts"), target, { recursive: true });
  makeWritable(target);
  return target;
}

/**
 * Fixtures from before MLflow's artifact proxy (1.21) store absolute `file://` artifact URIs; the
 * artifacts must be at that path for a server to find them. Copies them there unless something
 * already is; the returned function removes only what this call created.
 */
export function provideOriginalArtifactRoot(version: string, manifest: FixtureManifest): () => void {
  const root = (manifest.artifacts as { original_root?: string } | undefined)?.original_root;
  if (!root?.startsWith("file://")) return () => {};
  const path = new URL(root).pathname;
  if (existsSync(path)) return () => {};
  let created = path; // the outermost directory this call creates
  while (!existsSync(dirname(created))) created = dirname(created);
  cpSync(fixturePath(version, "artifacts"), path, { recursive: true });
  makeWritable(path);
  return () => rmSync(created, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// The served-contents check

interface ServedTag {
  key: string;
  value: string;
}
interface ServedMetric {
  key: string;
  value: JsonDouble;
  timestamp: number;
  step: number;
}
interface ServedExperiment {
  experiment_id: string;
  name: string;
  artifact_location?: string;
  lifecycle_stage?: string;
  creation_time?: number;
  last_update_time?: number;
  tags?: ServedTag[];
}
interface ServedRun {
  info: Record<string, unknown>;
  data: { metrics?: ServedMetric[]; params?: ServedTag[]; tags?: ServedTag[] };
  inputs?: {
    dataset_inputs?: { tags?: ServedTag[]; dataset: Record<string, string | undefined> }[];
  };
}

function dict(tags: readonly ServedTag[] | undefined): Dict {
  return Object.fromEntries((tags ?? []).map((t) => [t.key, t.value]));
}

/** Deep equality where a missing value and null mean the same (proto JSON omits unset fields). */
function same(a: unknown, b: unknown): boolean {
  return Bun.deepEquals(a ?? null, b ?? null);
}

function show(value: unknown): string {
  const text = JSON.stringify(value ?? null);
  return text.length > 400 ? `${text.slice(0, 400)}…` : text;
}

/** MLflow 2.17 shows an unset dataset schema/profile as "", 3.x as null: the same thing. */
function datasetKey(input: { dataset: Partial<ExpectedDataset>; tags: Dict }): string {
  const d = input.dataset;
  return JSON.stringify([
    d.name,
    d.digest,
    d.source_type,
    d.source,
    d.schema || null,
    d.profile || null,
    Object.entries(input.tags).sort(),
  ]);
}

function metricKey(m: ExpectedMetric): string {
  return JSON.stringify([m.step, m.timestamp, m.value]);
}

function sortHistory(history: readonly ExpectedMetric[]): ExpectedMetric[] {
  return [...history].sort((a, b) => {
    if (a.step !== b.step) return a.step - b.step;
    if (a.timestamp !== b.timestamp) return a.timestamp - b.timestamp;
    return metricKey(a) < metricKey(b) ? -1 : metricKey(a) > metricKey(b) ? 1 : 0;
  });
}

export class Mismatches {
  readonly list: string[] = [];
  check(where: string, expected: unknown, got: unknown): void {
    if (!same(expected, got)) this.list.push(`${where}: expected ${show(expected)}, got ${show(got)}`);
  }
  add(message: string): void {
    this.list.push(message);
  }
}

export async function call<T>(
  fml: FmlServer,
  out: Mismatches,
  method: string,
  endpoint: string,
  body: unknown,
): Promise<T | undefined> {
  const response = await fml.api<T>(method, endpoint, body);
  if (response.status !== 200) {
    out.add(`${method} ${endpoint} ${JSON.stringify(body)} → HTTP ${response.status} ${show(response.body)}`);
    return undefined;
  }
  return response.body;
}

/** Follows next_page_token to the end. */
async function allPages<T>(
  fml: FmlServer,
  out: Mismatches,
  method: string,
  endpoint: string,
  body: Record<string, unknown>,
  field: string,
): Promise<T[] | undefined> {
  const items: T[] = [];
  let token: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const response = await call<Record<string, unknown>>(fml, out, method, endpoint, {
      ...body,
      ...(token ? { page_token: token } : {}),
    });
    if (!response) return undefined;
    items.push(...((response[field] as T[] | undefined) ?? []));
    token = response.next_page_token as string | undefined;
    if (!token) return items;
  }
  out.add(`${endpoint}: more than 1000 pages`);
  return items;
}

async function checkExperiments(fml: FmlServer, expected: ExpectedContents, out: Mismatches): Promise<void> {
  const all = Object.values(expected.experiments);
  const idsWith = (stage?: string): string[] =>
    all
      .filter((e) => !stage || (e.lifecycle_stage ?? "active") === stage)
      .map((e) => e.experiment_id)
      .sort();
  const views: [string, string | undefined][] = [
    ["ACTIVE_ONLY", "active"],
    ["DELETED_ONLY", "deleted"],
    ["ALL", undefined],
  ];
  for (const [viewType, stage] of views) {
    const served = await allPages<ServedExperiment>(
      fml, out, "POST", "experiments/search", { view_type: viewType, max_results: 1000 }, "experiments",
    );
    if (!served) continue;
    out.check(`experiments/search ${viewType}: ids`, idsWith(stage), served.map((e) => e.experiment_id).sort());
    if (viewType !== "ALL") continue;
    const byId = new Map(served.map((e) => [e.experiment_id, e]));
    for (const e of all) {
      const got = byId.get(e.experiment_id);
      if (got) compareExperiment(`experiments/search ALL experiment ${e.experiment_id}`, e, got, out);
    }
  }
  for (const e of all) {
    const got = await call<{ experiment: ServedExperiment }>(fml, out, "GET", "experiments/get", {
      experiment_id: e.experiment_id,
    });
    if (got) compareExperiment(`experiments/get ${e.experiment_id} (${e.name})`, e, got.experiment, out);
  }
}

function compareExperiment(where: string, e: ExpectedExperiment, got: ServedExperiment, out: Mismatches): void {
  for (const field of ["experiment_id", "name", "artifact_location", "lifecycle_stage", "creation_time", "last_update_time"] as const) {
    if (field in e) out.check(`${where} ${field}`, e[field], got[field]);
  }
  if (e.tags) out.check(`${where} tags`, e.tags, dict(got.tags));
}

const runInfoFields = [
  "run_id",
  "experiment_id",
  "run_name",
  "status",
  "start_time",
  "end_time",
  "lifecycle_stage",
  "user_id",
  "artifact_uri",
] as const;

function compareRun(where: string, e: ExpectedRun, got: ServedRun, out: Mismatches): void {
  for (const field of runInfoFields) {
    if (field in e) out.check(`${where} info.${field}`, e[field], got.info[field]);
  }
  if (e.params) out.check(`${where} params`, e.params, dict(got.data.params));
  if (e.tags) out.check(`${where} tags`, e.tags, dict(got.data.tags));
  if (e.metrics) {
    const served = Object.fromEntries(
      (got.data.metrics ?? []).map((m) => [m.key, { value: m.value, timestamp: m.timestamp, step: m.step }]),
    );
    out.check(`${where} latest metrics`, e.metrics, served);
  }
  if (e.dataset_inputs) {
    const expectedInputs = e.dataset_inputs.map(datasetKey).sort();
    const servedInputs = (got.inputs?.dataset_inputs ?? [])
      .map((i) => datasetKey({ dataset: i.dataset, tags: dict(i.tags) }))
      .sort();
    out.check(`${where} dataset inputs`, expectedInputs, servedInputs);
  }
}

/** Runs `fn` over `items`, at most `limit` at a time. */
async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

const CONCURRENCY = 8;

async function checkRuns(fml: FmlServer, expected: ExpectedContents, out: Mismatches): Promise<void> {
  await forEachLimited(Object.values(expected.runs), CONCURRENCY, async (e) => {
      const where = `runs/get ${e.run_name ?? ""} (${e.run_id})`;
      const got = await call<{ run: ServedRun }>(fml, out, "GET", "runs/get", { run_id: e.run_id });
      if (got) compareRun(where, e, got.run, out);
  });
}

async function checkMetricHistories(fml: FmlServer, expected: ExpectedContents, out: Mismatches): Promise<void> {
  const requests = Object.entries(expected.metric_histories).flatMap(([runId, histories]) =>
    Object.entries(histories).map(([key, history]) => ({ runId, key, history })),
  );
  await forEachLimited(requests, CONCURRENCY, async ({ runId, key, history }) => {
      const served = await allPages<ServedMetric>(
        fml, out, "GET", "metrics/get-history", { run_id: runId, metric_key: key }, "metrics",
      );
      if (!served) return;
      const got = served.map((m) => ({ value: m.value, timestamp: m.timestamp, step: m.step }));
      out.check(`metrics/get-history ${runId} ${key}`, sortHistory(history), sortHistory(got));
  });
}

/** search_runs' default order (start_time DESC, run_id ASC) per experiment, every view type. */
async function checkSearchOrder(fml: FmlServer, expected: ExpectedContents, out: Mismatches): Promise<void> {
  for (const [experimentId, order] of Object.entries(expected.search_order)) {
    const stageOf = (runId: string): string => expected.runs[runId]?.lifecycle_stage ?? "active";
    const views: [string, string[]][] = [
      ["ALL", order],
      ["ACTIVE_ONLY", order.filter((id) => stageOf(id) === "active")],
      ["DELETED_ONLY", order.filter((id) => stageOf(id) === "deleted")],
    ];
    for (const [viewType, ids] of views) {
      const served = await allPages<ServedRun>(
        fml,
        out,
        "POST",
        "runs/search",
        { experiment_ids: [experimentId], run_view_type: viewType, max_results: 1000 },
        "runs",
      );
      if (served) {
        out.check(
          `runs/search experiment ${experimentId} ${viewType}: run ids in order`,
          ids,
          served.map((r) => r.info.run_id),
        );
      }
    }
  }
}

interface ServedModelVersion {
  [field: string]: unknown;
  tags?: ServedTag[];
  aliases?: string[];
}
interface ServedRegisteredModel {
  [field: string]: unknown;
  tags?: ServedTag[];
  latest_versions?: { version: string; current_stage: string }[];
  aliases?: { alias: string; version: string }[];
}

/** Proto JSON omits an empty string; MLflow's client shows it as "". */
function text(value: unknown): unknown {
  return value ?? "";
}

const modelFields = ["name", "description", "creation_timestamp", "last_updated_timestamp"] as const;
const versionFields = [
  "name",
  "version",
  "source",
  "run_id",
  "status",
  "current_stage",
  "description",
  "user_id",
  "run_link",
  "creation_timestamp",
  "last_updated_timestamp",
] as const;
const stringFields = new Set(["description", "user_id", "run_link", "source", "run_id", "status"]);

async function checkRegistry(fml: FmlServer, expected: ExpectedContents, out: Mismatches): Promise<void> {
  const models = expected.registered_models ?? {};
  const served = await allPages<ServedRegisteredModel>(
    fml, out, "GET", "registered-models/search", { max_results: 100 }, "registered_models",
  );
  if (served) {
    out.check("registered-models/search: names", Object.keys(models).sort(), served.map((m) => String(m.name)).sort());
  }
  for (const [name, e] of Object.entries(models)) {
    const where = `registered-models/get ${name}`;
    const got = (await call<{ registered_model: ServedRegisteredModel }>(fml, out, "GET", "registered-models/get", { name }))
      ?.registered_model;
    if (!got) continue;
    for (const field of modelFields) {
      if (field in e) out.check(`${where} ${field}`, e[field], stringFields.has(field) ? text(got[field]) : got[field]);
    }
    if (e.tags) out.check(`${where} tags`, e.tags, dict(got.tags));
    if (e.latest_versions) {
      const byVersion = (a: { version: string }, b: { version: string }) => Number(a.version) - Number(b.version);
      out.check(
        `${where} latest_versions`,
        [...e.latest_versions].sort(byVersion),
        (got.latest_versions ?? []).map((v) => ({ version: v.version, current_stage: v.current_stage })).sort(byVersion),
      );
    }
    if (e.aliases) {
      out.check(`${where} aliases`, e.aliases, Object.fromEntries((got.aliases ?? []).map((a) => [a.alias, a.version])));
    }
  }
  for (const [key, e] of Object.entries(expected.model_versions ?? {})) {
    const where = `model-versions/get ${key}`;
    const got = (
      await call<{ model_version: ServedModelVersion }>(fml, out, "GET", "model-versions/get", {
        name: e.name,
        version: e.version,
      })
    )?.model_version;
    if (!got) continue;
    for (const field of versionFields) {
      if (field in e) out.check(`${where} ${field}`, e[field], stringFields.has(field) ? text(got[field]) : got[field]);
    }
    if (e.tags) out.check(`${where} tags`, e.tags, dict(got.tags));
    if (e.aliases) out.check(`${where} aliases`, [...e.aliases].sort(), [...(got.aliases ?? [])].sort());
  }
}

interface ServedFile {
  path: string;
  is_dir?: boolean;
  file_size?: number;
}

/** Walks artifacts/list from the run's root; downloads each file for its sha256. */
async function servedArtifacts(fml: FmlServer, runId: string, out: Mismatches): Promise<ExpectedArtifact[] | undefined> {
  const found: ExpectedArtifact[] = [];
  const pending = [""];
  while (pending.length > 0) {
    const dir = pending.shift() as string;
    const listing = await call<{ files?: ServedFile[] }>(fml, out, "GET", "artifacts/list", {
      run_id: runId,
      ...(dir ? { path: dir } : {}),
    });
    if (!listing) return undefined;
    for (const f of listing.files ?? []) {
      if (f.is_dir) {
        found.push({ path: f.path, is_dir: true });
        pending.push(f.path);
        continue;
      }
      const url = `${fml.url}/get-artifact?${new URLSearchParams({ run_id: runId, path: f.path })}`;
      const response = await fetch(url);
      const body = new Uint8Array(await response.arrayBuffer());
      if (response.status !== 200) {
        out.add(`GET /get-artifact ${runId} ${f.path} → HTTP ${response.status}`);
        continue;
      }
      const sha256 = new Bun.CryptoHasher("sha256").update(body).digest("hex");
      found.push({ path: f.path, is_dir: false, file_size: f.file_size ?? 0, sha256 });
    }
  }
  return found;
}

async function checkArtifacts(fml: FmlServer, expected: ExpectedContents, out: Mismatches): Promise<void> {
  const byPath = (a: ExpectedArtifact, b: ExpectedArtifact) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  await forEachLimited(Object.entries(expected.artifacts ?? {}), CONCURRENCY, async ([runId, files]) => {
    const served = await servedArtifacts(fml, runId, out);
    if (served) out.check(`artifacts of run ${runId}`, [...files].sort(byPath), served.sort(byPath));
  });
}

/**
 * Every run's artifacts as the manifest lists them (recursive listing through artifacts/list,
 * sizes, and the sha256 of each file downloaded through /get-artifact); returns the mismatches.
 */
export async function artifactMismatches(fml: FmlServer, expected: ExpectedContents): Promise<string[]> {
  const out = new Mismatches();
  await checkArtifacts(fml, expected, out);
  return out.list.sort();
}

/**
 * The registry the manifest lists (registered models with tags, latest versions and aliases;
 * every model version), read back from `fml`; returns the mismatches.
 */
export async function registryMismatches(fml: FmlServer, expected: ExpectedContents): Promise<string[]> {
  const out = new Mismatches();
  await checkRegistry(fml, expected, out);
  return out.list.sort();
}

/**
 * Everything the manifest lists for tracking (experiments, runs, latest metrics, metric
 * histories, search order), read back from `fml`; returns the mismatches, empty when all match.
 * Registry entries are not checked here.
 */
export async function trackingMismatches(fml: FmlServer, expected: ExpectedContents): Promise<string[]> {
  const out = new Mismatches();
  await checkExperiments(fml, expected, out);
  await checkRuns(fml, expected, out);
  await checkMetricHistories(fml, expected, out);
  await checkSearchOrder(fml, expected, out);
  return out.list.sort();
}
