/**
 * The MLflow model registry endpoints (spec §3.3, §11; webhooks excluded): each handler reads and
 * validates the request with MLflow's rules and messages, calls the store and shapes the response.
 */

import { invalidParameter } from "../errors.ts";
import { decodePageToken } from "../search/page-token.ts";
import type { ModelStage, RegistryStore } from "../store/registry-types.ts";
import type { Tag, TrackingStore } from "../store/types.ts";
import { isLocalUri, validateModelVersionSource } from "../artifacts/locations.ts";
import { validateKey } from "../tracking/validation.ts";
import type { Json } from "./json.ts";
import { modelVersionJson, registeredModelJson } from "./registry-json.ts";
import { maxResults, withToken } from "./paging.ts";
import type { Params } from "./request.ts";
import type { Endpoint } from "./tracking-routes.ts";

const STAGES: readonly ModelStage[] = ["None", "Staging", "Production", "Archived"];
/** Stages whose current holders `archive_existing_versions` may move to Archived. */
const ACTIVE_STAGES: readonly ModelStage[] = ["Staging", "Production"];

export const registryLimits = {
  registeredModelTagValue: 5000,
  modelVersionTagValue: 100000,
  aliasName: 255,
  searchRegisteredModelsDefault: 100,
  searchRegisteredModelsMax: 1000,
  searchModelVersionsDefault: 10000,
  searchModelVersionsMax: 200000,
} as const;

function canonicalStage(stage: string): ModelStage {
  const found = STAGES.find((s) => s.toLowerCase() === stage.toLowerCase());
  if (!found) {
    throw invalidParameter(`Invalid Model Version stage: ${stage}. Value must be one of ${STAGES.join(", ")}.`);
  }
  return found;
}

export function versionNumber(p: Params): number {
  const text = p.string("version");
  if (!/^\s*\d+\s*$/.test(text)) {
    throw invalidParameter(`Parameter 'version' must be an integer, got '${text}'.`);
  }
  return Number(text);
}

function validateTag(what: string, tag: Tag, limit: number): void {
  validateKey("tag", tag.key);
  if (tag.value.length > limit) {
    throw invalidParameter(
      `${what} value '${tag.value.slice(0, 250)}' had length ${tag.value.length}, which exceeded length limit of ${limit}`,
    );
  }
}

const validateModelTag = (tag: Tag): void =>
  validateTag("Registered model tag", tag, registryLimits.registeredModelTagValue);
const validateVersionTag = (tag: Tag): void =>
  validateTag("Model version tag", tag, registryLimits.modelVersionTagValue);

/** MLflow's alias rules: `latest` and `v<digits>` are reserved for version references. */
function validateAlias(alias: string): void {
  if (!/^[\p{L}\p{N}\p{M}_-]*$/u.test(alias)) {
    throw invalidParameter(
      `Invalid alias name: '${alias}'. Names may only contain alphanumerics, underscores (_), and dashes (-).`,
    );
  }
  if (alias.length > registryLimits.aliasName) {
    throw invalidParameter(
      `Registered model alias name '${alias.slice(0, 250)}' had length ${alias.length}, which exceeded length limit of ${registryLimits.aliasName}`,
    );
  }
  if (alias.toLowerCase() === "latest") {
    throw invalidParameter("'latest' alias name (case insensitive) is reserved.");
  }
  if (/^[vV]\d+$/.test(alias)) {
    throw invalidParameter(`Version alias name '${alias}' is reserved.`);
  }
}


/**
 * `runs` lets model-versions/create check a local source against its run's artifact directory,
 * as MLflow does.
 */
export function registryEndpoints(store: RegistryStore, runs: Pick<TrackingStore, "getRun">): Endpoint[] {
  const runArtifactUri = async (source: string, runId: string | undefined): Promise<string | undefined> =>
    runId && isLocalUri(source) ? (await runs.getRun(runId)).info.artifactUri : undefined;
  return [
    // ---------------------------------------------------------------- registered models
    {
      methods: ["POST"],
      path: "/mlflow/registered-models/create",
      async handle(p) {
        const name = p.string("name");
        const tags = p.tags("tags");
        tags.forEach(validateModelTag);
        const model = await store.createRegisteredModel({
          name,
          tags,
          description: p.optionalString("description"),
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
        const model = await store.renameRegisteredModel(p.string("name"), p.string("new_name"));
        return { registered_model: registeredModelJson(model) };
      },
    },
    {
      methods: ["PATCH"],
      path: "/mlflow/registered-models/update",
      async handle(p) {
        const model = await store.updateRegisteredModel(p.string("name"), p.optionalString("description"));
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
          offset: decodePageToken(p.optionalString("page_token")),
        });
        return withToken(
          { registered_models: page.items.length ? page.items.map(registeredModelJson) : undefined },
          page,
        );
      },
    },
    {
      methods: ["GET", "POST"],
      path: "/mlflow/registered-models/get-latest-versions",
      async handle(p) {
        const name = p.string("name");
        const stages = p.stringList("stages").map(canonicalStage);
        const versions = await store.getLatestVersions(name, stages);
        return { model_versions: versions.length ? versions.map(modelVersionJson) : undefined };
      },
    },
    {
      methods: ["POST"],
      path: "/mlflow/registered-models/set-tag",
      async handle(p) {
        const tag = { key: p.string("key"), value: p.optionalString("value") ?? "" };
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
        const runId = p.optionalString("run_id") || undefined;
        validateModelVersionSource(source, await runArtifactUri(source, runId));
        const tags = p.tags("tags");
        tags.forEach(validateVersionTag);
        const version = await store.createModelVersion({
          name,
          source,
          runId,
          runLink: p.optionalString("run_link") || undefined,
          description: p.optionalString("description"),
          tags,
        });
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
          p.optionalString("description"),
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
          offset: decodePageToken(p.optionalString("page_token")),
        });
        return withToken(
          { model_versions: page.items.length ? page.items.map(modelVersionJson) : undefined },
          page,
        );
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
        const tag = { key: p.string("key"), value: p.optionalString("value") ?? "" };
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
