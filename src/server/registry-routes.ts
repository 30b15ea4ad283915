/**
 * The MLflow model registry endpoints (spec §3.3, §11; webhooks excluded): each handler reads and
 * validates the request with MLflow's rules and messages, calls the store and shapes the response.
 */

import { invalidParameter } from "../errors.ts";
import { isLocalUri, validateModelVersionSource } from "../artifacts/locations.ts";
import type { TrackingStore } from "../store/types.ts";
import type { RegistryStore } from "../store/registry-types.ts";
import {
  ACTIVE_STAGES,
  canonicalStage,
  registryLimits,
  validateAlias,
  validateModelTag,
  validateVersionTag,
} from "../validation/registry.ts";
import { columnLimits, validateKey, validateMaxLength } from "../validation/tracking.ts";
import type { Endpoint } from "./endpoint.ts";
import { repeated } from "./json.ts";
import { modelVersionJson, registeredModelJson } from "./registry-json.ts";
import { maxResults, pageJson, pageOffset } from "./paging.ts";
import type { Params } from "./request.ts";

/** model_versions.version is a 32-bit INTEGER in MLflow's schema on every database. */
const MAX_VERSION = 2 ** 31 - 1;

export function versionNumber(p: Params): number {
  const text = p.string("version");
  if (!/^\s*\d+\s*$/.test(text)) {
    throw invalidParameter(`Parameter 'version' must be an integer, got '${text}'.`);
  }
  const version = Number(text);
  if (version > MAX_VERSION) {
    throw invalidParameter(`Parameter 'version' must be at most ${MAX_VERSION}, got '${text.trim()}'.`);
  }
  return version;
}

/** A string field stored as given, refused when longer than its column. */
function bounded(p: Params, field: string, limit: number): string | undefined {
  const value = p.optionalString(field);
  validateMaxLength(field, value, limit);
  return value;
}

const modelName = (p: Params, field = "name"): string => {
  const name = p.string(field);
  validateMaxLength(field, name, columnLimits.registeredModelName);
  return name;
};

const description = (p: Params): string | undefined => bounded(p, "description", columnLimits.description);

/** MLflow 3 logged models as the registry needs them (from store/logged-models.ts). */
export interface RegistryLoggedModels {
  getLoggedModel(modelId: string): Promise<{ artifactUri: string; sourceRunId: string }>;
  addModelVersionToTag(modelId: string, name: string, version: number): Promise<void>;
}

/**
 * `models:/<one segment>` without `@alias` names a logged model (`models:/m-…`), as MLflow's
 * _parse_model_uri reads it; `models:/<name>/<version>` is a registered version.
 */
const LOGGED_MODEL_SOURCE = /^models:\/([^/@]+)$/;

/**
 * `runs` lets model-versions/create check a local source against its run's artifact directory,
 * as MLflow does.
 */
export function registryEndpoints(
  store: RegistryStore,
  runs: Pick<TrackingStore, "getRun">,
  models?: RegistryLoggedModels,
): Endpoint[] {
  const runArtifactUri = async (source: string, runId: string | undefined): Promise<string | undefined> =>
    runId && isLocalUri(source) ? (await runs.getRun(runId)).info.artifactUri : undefined;
  return [
    // ---------------------------------------------------------------- registered models
    {
      methods: ["POST"],
      path: "/mlflow/registered-models/create",
      async handle(p) {
        const name = modelName(p);
        const tags = p.tags("tags");
        tags.forEach(validateModelTag);
        const model = await store.createRegisteredModel({
          name,
          tags,
          description: description(p),
        });
        return { registered_model: registeredModelJson(model) };
      },
    },
    {
      methods: ["GET"],
      path: "/mlflow/registered-models/get",
      async handle(p) {
        return { registered_model: registeredModelJson(await store.getRegisteredModel(p.string("name"))) };
      },
    },
    {
      methods: ["POST"],
      path: "/mlflow/registered-models/rename",
      async handle(p) {
        const model = await store.renameRegisteredModel(p.string("name"), modelName(p, "new_name"));
        return { registered_model: registeredModelJson(model) };
      },
    },
    {
      methods: ["PATCH"],
      path: "/mlflow/registered-models/update",
      async handle(p) {
        const model = await store.updateRegisteredModel(p.string("name"), description(p));
        return { registered_model: registeredModelJson(model) };
      },
    },
    {
      methods: ["DELETE"],
      path: "/mlflow/registered-models/delete",
      async handle(p) {
        await store.deleteRegisteredModel(p.string("name"));
        return {};
      },
    },
    {
      methods: ["GET"],
      path: "/mlflow/registered-models/search",
      async handle(p) {
        const page = await store.searchRegisteredModels({
          filter: p.optionalString("filter"),
          orderBy: p.stringList("order_by"),
          maxResults: maxResults(
            p,
            registryLimits.searchRegisteredModelsDefault,
            registryLimits.searchRegisteredModelsMax,
            1,
          ),
          offset: pageOffset(p),
        });
        return pageJson("registered_models", page, registeredModelJson);
      },
    },
    {
      methods: ["GET", "POST"],
      path: "/mlflow/registered-models/get-latest-versions",
      async handle(p) {
        const name = p.string("name");
        const stages = p.stringList("stages").map(canonicalStage);
        const versions = await store.getLatestVersions(name, stages);
        return { model_versions: repeated(versions, modelVersionJson) };
      },
    },
    {
      methods: ["POST"],
      path: "/mlflow/registered-models/set-tag",
      async handle(p) {
        const tag = p.tag();
        validateModelTag(tag);
        await store.setRegisteredModelTag(p.string("name"), tag);
        return {};
      },
    },
    {
      methods: ["DELETE"],
      path: "/mlflow/registered-models/delete-tag",
      async handle(p) {
        await store.deleteRegisteredModelTag(p.string("name"), p.string("key"));
        return {};
      },
    },
    // ---------------------------------------------------------------- aliases
    {
      methods: ["POST"],
      path: "/mlflow/registered-models/alias",
      async handle(p) {
        const name = p.string("name");
        const alias = p.string("alias");
        validateAlias(alias);
        await store.setRegisteredModelAlias(name, alias, versionNumber(p));
        return {};
      },
    },
    {
      methods: ["DELETE"],
      path: "/mlflow/registered-models/alias",
      async handle(p) {
        const name = p.string("name");
        const alias = p.string("alias");
        validateAlias(alias);
        await store.deleteRegisteredModelAlias(name, alias);
        return {};
      },
    },
    {
      methods: ["GET"],
      path: "/mlflow/registered-models/alias",
      async handle(p) {
        const version = await store.getModelVersionByAlias(p.string("name"), p.string("alias"));
        return { model_version: modelVersionJson(version) };
      },
    },
    // ---------------------------------------------------------------- model versions
    {
      methods: ["POST"],
      path: "/mlflow/model-versions/create",
      async handle(p) {
        const name = p.string("name");
        const source = p.string("source");
        validateMaxLength("source", source, columnLimits.modelVersionSource);
        let runId = bounded(p, "run_id", columnLimits.runId) || undefined;
        const modelId = p.optionalString("model_id") || undefined;
        // As MLflow: a `models:/m-…` source is stored where the logged model's files are, and the
        // version's run is the model's source run unless the request names one.
        const sourceModelId = LOGGED_MODEL_SOURCE.exec(source)?.[1];
        const lookup = sourceModelId ?? modelId;
        const loggedModel = models && lookup ? await models.getLoggedModel(lookup) : undefined;
        const storageLocation = sourceModelId ? loggedModel?.artifactUri : undefined;
        runId = runId ?? (loggedModel?.sourceRunId || undefined);
        const allowedRoot =
          modelId && loggedModel && isLocalUri(source) ? loggedModel.artifactUri : await runArtifactUri(source, runId);
        validateModelVersionSource(source, allowedRoot);
        const tags = p.tags("tags");
        tags.forEach(validateVersionTag);
        const version = await store.createModelVersion({
          name,
          source,
          runId,
          runLink: bounded(p, "run_link", columnLimits.runLink) || undefined,
          description: description(p),
          tags,
          storageLocation,
        });
        if (modelId && models) await models.addModelVersionToTag(modelId, name, version.version);
        return { model_version: modelVersionJson(version) };
      },
    },
    {
      methods: ["GET"],
      path: "/mlflow/model-versions/get",
      async handle(p) {
        const version = await store.getModelVersion(p.string("name"), versionNumber(p));
        return { model_version: modelVersionJson(version) };
      },
    },
    {
      methods: ["PATCH"],
      path: "/mlflow/model-versions/update",
      async handle(p) {
        const version = await store.updateModelVersion(
          p.string("name"),
          versionNumber(p),
          description(p),
        );
        return { model_version: modelVersionJson(version) };
      },
    },
    {
      methods: ["POST"],
      path: "/mlflow/model-versions/transition-stage",
      async handle(p) {
        const name = p.string("name");
        const version = versionNumber(p);
        const requested = p.string("stage");
        const stage = canonicalStage(requested);
        const archive = p.optionalBool("archive_existing_versions");
        if (archive === undefined) {
          throw invalidParameter(
            "Missing value for required parameter 'archive_existing_versions'. See the API docs " +
              "for more information about request parameters.",
          );
        }
        // MLflow raises this without an error code (a 500); fml answers 400 as for any bad stage.
        if (archive && !ACTIVE_STAGES.includes(stage)) {
          throw invalidParameter(
            `Model version transition cannot archive existing model versions because '${requested}' ` +
              `is not an Active stage. Valid stages are ['Staging', 'Production']`,
          );
        }
        const updated = await store.transitionModelVersionStage(name, version, stage, archive);
        return { model_version: modelVersionJson(updated) };
      },
    },
    {
      methods: ["DELETE"],
      path: "/mlflow/model-versions/delete",
      async handle(p) {
        await store.deleteModelVersion(p.string("name"), versionNumber(p));
        return {};
      },
    },
    {
      methods: ["GET"],
      path: "/mlflow/model-versions/search",
      async handle(p) {
        const page = await store.searchModelVersions({
          filter: p.optionalString("filter"),
          orderBy: p.stringList("order_by"),
          maxResults: maxResults(
            p,
            registryLimits.searchModelVersionsDefault,
            registryLimits.searchModelVersionsMax,
            1,
          ),
          offset: pageOffset(p),
        });
        return pageJson("model_versions", page, modelVersionJson);
      },
    },
    {
      methods: ["GET"],
      path: "/mlflow/model-versions/get-download-uri",
      async handle(p) {
        const uri = await store.getModelVersionDownloadUri(p.string("name"), versionNumber(p));
        return { artifact_uri: uri };
      },
    },
    {
      methods: ["POST"],
      path: "/mlflow/model-versions/set-tag",
      async handle(p) {
        const tag = p.tag();
        validateVersionTag(tag);
        await store.setModelVersionTag(p.string("name"), versionNumber(p), tag);
        return {};
      },
    },
    {
      methods: ["DELETE"],
      path: "/mlflow/model-versions/delete-tag",
      async handle(p) {
        await store.deleteModelVersionTag(p.string("name"), versionNumber(p), p.string("key"));
        return {};
      },
    },
  ];
}
