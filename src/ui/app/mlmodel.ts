/** Reading MLflow 3 logged models for display: status names, latest metrics, MLmodel flavors. */

import { ApiError, type LoggedModel, type ModelMetric } from "./api.ts";
import { href } from "./router.ts";

const statusNames: Record<string, string> = {
  LOGGED_MODEL_READY: "Ready",
  LOGGED_MODEL_PENDING: "Pending",
  LOGGED_MODEL_UPLOAD_FAILED: "Failed",
  LOGGED_MODEL_STATUS_UNSPECIFIED: "Unspecified",
};

export function statusLabel(status: string | undefined): string {
  return statusNames[status ?? ""] ?? status ?? "";
}

/** The latest value of each metric key (max timestamp, then max step), as MLflow sorts by it. */
export function latestMetrics(model: LoggedModel): Map<string, ModelMetric> {
  const latest = new Map<string, ModelMetric>();
  for (const m of model.data.metrics ?? []) {
    const seen = latest.get(m.key);
    if (!seen || m.timestamp > seen.timestamp || (m.timestamp === seen.timestamp && m.step > seen.step)) latest.set(m.key, m);
  }
  return latest;
}

/** The flavor names under `flavors:` of an MLmodel YAML file (its first-level keys). */
export function mlmodelFlavors(text: string): string[] {
  const lines = text.split(/\r?\n/);
  const start = lines.findIndex((l) => /^flavors:\s*$/.test(l));
  if (start < 0) return [];
  const flavors: string[] = [];
  let indent: number | undefined;
  for (const line of lines.slice(start + 1)) {
    if (!line.trim() || line.trimStart().startsWith("#")) continue;
    const lead = line.length - line.trimStart().length;
    if (lead === 0) break;
    indent ??= lead;
    const key = lead === indent ? /^\s*([^:#\s][^:]*):/.exec(line)?.[1] : undefined;
    if (key) flavors.push(key.trim());
  }
  return flavors;
}

/** URL of a file under a logged model's artifact root (MLflow's UI download route). */
export function modelFileUrl(modelId: string, path: string): string {
  return `ajax-api/2.0/mlflow/logged-models/${encodeURIComponent(modelId)}/artifacts/files?artifact_file_path=${encodeURIComponent(path)}`;
}

/** The model's MLmodel file, or undefined when it has none. */
export async function fetchMlmodel(modelId: string): Promise<string | undefined> {
  const response = await fetch(modelFileUrl(modelId, "MLmodel"));
  if (response.status === 404) return undefined;
  if (!response.ok) throw new ApiError(response.status, String(response.status), `Cannot read MLmodel (${response.status})`);
  return response.text();
}

/** MLflow's own route of a logged model's page. */
export const loggedModelHref = (m: LoggedModel): string => href(`/experiments/${m.info.experiment_id}/models/${encodeURIComponent(m.info.model_id)}`);
