/**
 * The logged models a real-MLflow fixture's manifest lists (fields, params, tags, every model
 * metric, artifact listings and file hashes, search order per experiment), read back from a running
 * fml through its HTTP API; collects every mismatch.
 */

import type { FmlServer } from "./server.ts";
import { call, Mismatches, type Dict, type ExpectedArtifact, type ExpectedContents, type JsonDouble } from "./manifest-check.ts";

export interface ExpectedLoggedModelMetric {
  key: string;
  value: JsonDouble;
  timestamp: number;
  step: number;
  run_id: string;
  model_id: string;
  dataset_name: string | null;
  dataset_digest: string | null;
}

export interface ExpectedLoggedModel {
  model_id: string;
  experiment_id: string;
  name: string;
  artifact_location: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  model_type: string;
  source_run_id: string;
  status: string;
  params: Dict;
  tags: Dict;
  metrics: ExpectedLoggedModelMetric[];
  artifacts: ExpectedArtifact[];
  downloaded_files: Record<string, string>;
}

export interface ExpectedLoggedModels {
  logged_models?: Record<string, ExpectedLoggedModel>;
  logged_model_search_order?: Record<string, string[]>;
}

type Kv = { key: string; value: string };
interface ServedModel {
  info: {
    model_id: string;
    experiment_id: string;
    name: string;
    artifact_uri: string;
    creation_timestamp_ms: number;
    last_updated_timestamp_ms: number;
    model_type: string;
    source_run_id: string;
    status: string;
    tags?: Kv[];
  };
  data: { params?: Kv[]; metrics?: ExpectedLoggedModelMetric[] };
}
interface ServedFile {
  path: string;
  is_dir: boolean;
  file_size?: number;
}

const dict = (pairs: readonly Kv[] | undefined): Dict => Object.fromEntries((pairs ?? []).map((p) => [p.key, p.value]));

/** The manifest's order: (key, run_id, step, timestamp, value). */
function sortMetrics(metrics: readonly ExpectedLoggedModelMetric[]): ExpectedLoggedModelMetric[] {
  const key = (m: ExpectedLoggedModelMetric) => [m.key, m.run_id, m.step, m.timestamp, m.value] as const;
  return [...metrics].sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return (x[i] as number | string) < (y[i] as number | string) ? -1 : 1;
    return 0;
  });
}

const normalizeMetric = (m: ExpectedLoggedModelMetric): ExpectedLoggedModelMetric => ({
  key: m.key,
  value: m.value,
  timestamp: m.timestamp,
  step: m.step,
  run_id: m.run_id,
  model_id: m.model_id,
  dataset_name: m.dataset_name ?? null,
  dataset_digest: m.dataset_digest ?? null,
});

async function listRecursively(fml: FmlServer, out: Mismatches, modelId: string, dir: string): Promise<ServedFile[]> {
  const listed = await call<{ files?: ServedFile[] }>(
    fml,
    out,
    "GET",
    `logged-models/${modelId}/artifacts/directories`,
    dir ? { artifact_directory_path: dir } : undefined,
  );
  const files: ServedFile[] = [];
  for (const f of listed?.files ?? []) {
    files.push(f);
    if (f.is_dir) files.push(...(await listRecursively(fml, out, modelId, f.path)));
  }
  return files;
}

async function sha256(response: Response): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await response.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** `artifacts: false` skips listings and downloads, for a server without the fixture's artifact store. */
export async function loggedModelMismatches(
  fml: FmlServer,
  expected: ExpectedContents & ExpectedLoggedModels,
  options: { artifacts: boolean } = { artifacts: true },
): Promise<string[]> {
  const out = new Mismatches();
  for (const [id, e] of Object.entries(expected.logged_models ?? {})) {
    const where = `logged-models/${id}`;
    const got = (await call<{ model: ServedModel }>(fml, out, "GET", `logged-models/${id}`, undefined))?.model;
    if (!got) continue;
    const info = got.info;
    out.check(`${where} name`, e.name, info.name);
    out.check(`${where} experiment_id`, e.experiment_id, info.experiment_id);
    out.check(`${where} artifact_uri`, e.artifact_location, info.artifact_uri);
    out.check(`${where} creation_timestamp_ms`, e.creation_timestamp, info.creation_timestamp_ms);
    out.check(`${where} last_updated_timestamp_ms`, e.last_updated_timestamp, info.last_updated_timestamp_ms);
    out.check(`${where} model_type`, e.model_type, info.model_type);
    out.check(`${where} source_run_id`, e.source_run_id, info.source_run_id);
    out.check(`${where} status`, `LOGGED_MODEL_${e.status === "FAILED" ? "UPLOAD_FAILED" : e.status}`, info.status);
    out.check(`${where} params`, e.params, dict(got.data.params));
    out.check(`${where} tags`, e.tags, dict(info.tags));
    out.check(`${where} metrics`, sortMetrics(e.metrics.map(normalizeMetric)), sortMetrics((got.data.metrics ?? []).map(normalizeMetric)));

    if (!options.artifacts) continue;
    const files = await listRecursively(fml, out, id, "");
    out.check(`${where} artifacts`, e.artifacts, files.map((f) => (f.is_dir ? { path: f.path, is_dir: true } : f)));
    for (const [path, hash] of Object.entries(e.downloaded_files)) {
      const response = await fetch(
        `${fml.url}/ajax-api/2.0/mlflow/logged-models/${id}/artifacts/files?artifact_file_path=${encodeURIComponent(path)}`,
      );
      if (response.status !== 200) {
        out.add(`${where} download ${path} → HTTP ${response.status}`);
        continue;
      }
      out.check(`${where} sha256 ${path}`, hash, await sha256(response));
    }
  }
  for (const [experimentId, order] of Object.entries(expected.logged_model_search_order ?? {})) {
    const found = await call<{ models?: ServedModel[] }>(fml, out, "POST", "logged-models/search", {
      experiment_ids: [experimentId],
      max_results: 1000,
    });
    out.check(`logged-models/search [${experimentId}] order`, order, (found?.models ?? []).map((m) => m.info.model_id));
  }
  return out.list.sort();
}
