/**
 * MLflow 3 logged-model endpoints (spec mlflow3-models-traces §2): create, get, finalize, delete,
 * tags, params, search, artifact listing and download, plus `runs/outputs`. Each handler reads and
 * validates the request, calls the logged-model store and shapes MLflow's JSON.
 */

import type { Hono } from "hono";
import { invalidParameter, MlflowError } from "../errors.ts";
import { safeArtifactPath } from "../artifacts/paths.ts";
import { resolveArtifactStore } from "../artifacts/resolve.ts";
import type { ServerConfig } from "../config.ts";
import {
  decodeLoggedModelPageToken,
  encodeLoggedModelPageToken,
  validateLoggedModelPageToken,
  type LoggedModelPageToken,
} from "../search/logged-model-page-token.ts";
import { parseLoggedModelFilter, parseLoggedModelOrderBy, type LoggedModelOrderByInput } from "../search/logged-models.ts";
import { LOGGED_MODEL_STATUSES, type LoggedModel, type LoggedModelStatus } from "../store/logged-model-types.ts";
import type { SqlLoggedModelStore } from "../store/logged-models.ts";
import type { Tag } from "../store/types.ts";
import {
  validateCreateLoggedModel,
  validateLoggedModelParams,
  validateLoggedModelTags,
  validateModelIdReference,
  validatePathSegment,
} from "../validation/logged-models.ts";
import { download, fileJson } from "./artifact-routes.ts";
import { jsonDouble, type Json } from "./json.ts";
import { readParams, type Params } from "./request.ts";
import { apiPrefixes, type Endpoint } from "./endpoint.ts";

/** MLflow's SEARCH_LOGGED_MODEL_MAX_RESULTS_DEFAULT; 0 means the default too, and there is no cap. */
const SEARCH_DEFAULT_MAX_RESULTS = 50;

const pairs = (list: readonly Tag[]): Json[] | undefined =>
  list.length > 0 ? list.map((t) => ({ key: t.key, value: t.value })) : undefined;

export function loggedModelJson(m: LoggedModel): Json {
  return {
    info: {
      model_id: m.modelId,
      experiment_id: m.experimentId,
      name: m.name,
      creation_timestamp_ms: m.creationTimestampMs,
      last_updated_timestamp_ms: m.lastUpdatedTimestampMs,
      artifact_uri: m.artifactUri,
      status: m.status,
      model_type: m.modelType,
      source_run_id: m.sourceRunId,
      tags: pairs(m.tags),
    },
    data: {
      params: pairs(m.params),
      metrics:
        m.metrics.length > 0
          ? m.metrics.map((x) => ({
              key: x.key,
              value: jsonDouble(x.value),
              timestamp: x.timestamp,
              step: x.step,
              dataset_name: x.datasetName ?? undefined,
              dataset_digest: x.datasetDigest ?? undefined,
              model_id: x.modelId,
              run_id: x.runId,
            }))
          : undefined,
    },
  };
}

/** By name or by number; unlike MLflow (which silently stores UNSPECIFIED), anything else is refused. */
function status(p: Params): LoggedModelStatus {
  const value = p.value("status");
  // Absent or empty: p.string throws MLflow's "Missing value for required parameter 'status'".
  if (value === undefined || value === null || value === "") p.string("status");
  if (typeof value === "string" && (LOGGED_MODEL_STATUSES as readonly string[]).includes(value)) {
    return value as LoggedModelStatus;
  }
  const byNumber = typeof value === "number" ? LOGGED_MODEL_STATUSES[value] : undefined;
  if (byNumber !== undefined) return byNumber;
  throw invalidParameter(
    `Invalid value ${JSON.stringify(value)} for parameter 'status' supplied. Hint: Value must be one of ` +
      `[${LOGGED_MODEL_STATUSES.join(", ")}].`,
  );
}

function orderByInputs(p: Params): LoggedModelOrderByInput[] {
  return p.objectList("order_by").map((o) => ({
    fieldName: o.string("field_name"),
    ascending: o.optionalBool("ascending") ?? true,
    datasetName: o.optionalString("dataset_name") || undefined,
    datasetDigest: o.optionalString("dataset_digest") || undefined,
  }));
}

/** The order_by dicts MLflow's handler builds; page tokens carry them. */
function orderByDicts(entries: readonly LoggedModelOrderByInput[]): LoggedModelPageToken["orderBy"] {
  if (entries.length === 0) return null;
  return entries.map((e) => ({
    field_name: e.fieldName,
    ascending: e.ascending,
    dataset_name: e.datasetName ?? null,
    dataset_digest: e.datasetDigest ?? null,
  }));
}

export interface LoggedModelRouteDeps {
  models: SqlLoggedModelStore;
  config: Pick<ServerConfig, "artifactsDestination" | "s3EndpointUri">;
}

export function loggedModelRoutes(deps: LoggedModelRouteDeps): { endpoints: Endpoint[]; mount: (app: Hono) => void } {
  const { models, config } = deps;
  const artifactsOf = async (modelId: string) => {
    const model = await models.getLoggedModel(modelId);
    const store = resolveArtifactStore(model.artifactUri, {
      artifactsDestination: config.artifactsDestination,
      s3EndpointUri: config.s3EndpointUri,
    });
    return { uri: model.artifactUri, store };
  };
  const idOf = (path: Record<string, string>): string => validatePathSegment("model_id", path.model_id ?? "");

  const endpoints: Endpoint[] = [
    {
      methods: ["POST"],
      path: "/mlflow/logged-models",
      async handle(p) {
        const input = {
          experimentId: p.string("experiment_id"),
          name: p.optionalString("name") || undefined,
          modelType: p.optionalString("model_type") || undefined,
          sourceRunId: p.optionalString("source_run_id") || undefined,
          params: p.tags("params"),
          tags: p.tags("tags"),
        };
        validateCreateLoggedModel(input);
        const model = await models.createLoggedModel(input);
        return { model: loggedModelJson(model) };
      },
    },
    {
      methods: ["POST"],
      path: "/mlflow/logged-models/search",
      async handle(p) {
        const experimentIds = p.stringList("experiment_ids");
        if (experimentIds.length === 0) {
          throw invalidParameter(
            "Missing value for required parameter 'experiment_ids'. See the API docs for more information " +
              "about request parameters.",
          );
        }
        const filterString = p.optionalString("filter") || null;
        const datasets = p.objectList("datasets").map((d) => {
          const datasetName = d.optionalString("dataset_name");
          if (!datasetName) throw invalidParameter("`dataset_name` in the `datasets` clause must be specified.");
          return { datasetName, datasetDigest: d.optionalString("dataset_digest") || undefined };
        });
        const orderInputs = orderByInputs(p);
        const filter = parseLoggedModelFilter(filterString ?? undefined);
        const orderBy = parseLoggedModelOrderBy(orderInputs);
        const pageToken = p.optionalString("page_token");
        const request = { experimentIds, filterString, orderBy: orderByDicts(orderInputs) };
        let offset = 0;
        if (pageToken) {
          const token = decodeLoggedModelPageToken(pageToken);
          validateLoggedModelPageToken(token, request);
          offset = token.offset;
        }
        const maxResults = p.optionalInt("max_results");
        if (maxResults !== undefined && maxResults < 0) {
          throw invalidParameter(`Invalid value for max_results: it must be a non-negative integer, got ${maxResults}.`);
        }
        const limit = maxResults || SEARCH_DEFAULT_MAX_RESULTS;
        const page = await models.searchLoggedModels({ experimentIds, filter, datasets, orderBy, limit, offset });
        return {
          models: page.items.length > 0 ? page.items.map(loggedModelJson) : undefined,
          next_page_token:
            page.nextOffset === undefined ? undefined : encodeLoggedModelPageToken({ ...request, offset: page.nextOffset }),
        };
      },
    },
    {
      methods: ["GET"],
      path: "/mlflow/logged-models/:model_id",
      async handle(p, path) {
        const allowDeleted = (p.optionalString("allow_deleted") ?? "").toLowerCase() === "true";
        return { model: loggedModelJson(await models.getLoggedModel(idOf(path), allowDeleted)) };
      },
    },
    {
      methods: ["PATCH"],
      path: "/mlflow/logged-models/:model_id",
      async handle(p, path) {
        p.string("model_id"); // required as in MLflow, though the path names the model
        return { model: loggedModelJson(await models.finalizeLoggedModel(idOf(path), status(p))) };
      },
    },
    {
      methods: ["DELETE"],
      path: "/mlflow/logged-models/:model_id",
      async handle(_p, path) {
        await models.deleteLoggedModel(idOf(path));
        return {};
      },
    },
    {
      methods: ["PATCH"],
      path: "/mlflow/logged-models/:model_id/tags",
      async handle(p, path) {
        const tags = p.tags("tags");
        validateLoggedModelTags(tags);
        await models.setLoggedModelTags(idOf(path), tags);
        return {};
      },
    },
    {
      methods: ["DELETE"],
      path: "/mlflow/logged-models/:model_id/tags/:tag_key",
      async handle(_p, path) {
        await models.deleteLoggedModelTag(idOf(path), validatePathSegment("tag_key", path.tag_key ?? ""));
        return {};
      },
    },
    {
      methods: ["POST"],
      path: "/mlflow/logged-models/:model_id/params",
      async handle(p, path) {
        p.string("model_id"); // required as in MLflow, though the path names the model
        const params = p.tags("params");
        validateLoggedModelParams(params);
        await models.logLoggedModelParams(idOf(path), params);
        return {};
      },
    },
    {
      methods: ["GET"],
      path: "/mlflow/logged-models/:model_id/artifacts/directories",
      async handle(p, path) {
        const dir = safeArtifactPath(p.optionalString("artifact_directory_path") ?? "");
        const { uri, store } = await artifactsOf(idOf(path));
        const files = await store.list(dir);
        return { root_uri: uri, files: files.length > 0 ? files.map((f) => fileJson(f, f.path)) : undefined };
      },
    },
    {
      methods: ["POST"],
      path: "/mlflow/runs/outputs",
      async handle(p) {
        const runId = p.string("run_id");
        const outputs = p.objectList("models").map((m) => ({ modelId: m.string("model_id"), step: m.optionalInt("step") ?? 0 }));
        outputs.forEach((o) => validateModelIdReference(o.modelId));
        await models.logOutputs(runId, outputs);
        return {};
      },
    },
    {
      methods: ["POST"],
      path: "/mlflow/runs/log-model",
      async handle(p) {
        await models.recordLoggedModel(p.string("run_id"), p.string("model_json"));
        return {};
      },
    },
  ];

  function mount(app: Hono): void {
    // The UI's download route; MLflow serves it under /ajax-api only.
    app.get("/ajax-api/2.0/mlflow/logged-models/:model_id/artifacts/files", async (c) => {
      const p = await readParams(c);
      const raw = p.optionalString("artifact_file_path");
      if (!raw) throw new MlflowError("BAD_REQUEST", 'Request must include the "artifact_file_path" query parameter.');
      const file = safeArtifactPath(raw);
      const { store } = await artifactsOf(validatePathSegment("model_id", c.req.param("model_id")));
      return download(store, file);
    });

    // A known path asked with another method answers 405, as the app does for fixed paths (its
    // lookup by literal path cannot see `:model_id` routes). Mounted after every real handler.
    const methodsByPath = new Map<string, string[]>();
    for (const e of endpoints.filter((x) => x.path.includes(":"))) {
      methodsByPath.set(e.path, [...(methodsByPath.get(e.path) ?? []), ...e.methods]);
    }
    const routes = [...methodsByPath].flatMap(([path, methods]) => apiPrefixes.map((prefix) => [prefix + path, methods] as const));
    routes.push(["/ajax-api/2.0/mlflow/logged-models/:model_id/artifacts/files", ["GET"]]);
    for (const [route, methods] of routes) {
      app.all(route, (c) =>
        c.json(
          {
            error_code: "BAD_REQUEST",
            message: `Method ${c.req.method} is not allowed for ${c.req.path}; use ${methods.join(" or ")}.`,
          },
          405,
        ),
      );
    }
  }

  return { endpoints, mount };
}
