/**
 * MLflow's JSON shapes for registry entities (spec §11.1): `version` as a string, unset fields and
 * empty lists omitted, aliases as `{alias, version}` on models and as names on versions.
 */

import type { ModelVersion, RegisteredModel } from "../store/registry-types.ts";
import { repeated, tagsJson, type Json } from "./json.ts";

export function modelVersionJson(v: ModelVersion): Json {
  return {
    name: v.name,
    version: String(v.version),
    creation_timestamp: v.creationTimestamp ?? undefined,
    last_updated_timestamp: v.lastUpdatedTimestamp ?? undefined,
    user_id: v.userId ?? undefined,
    current_stage: v.currentStage,
    description: v.description ?? undefined,
    source: v.source ?? undefined,
    run_id: v.runId ?? undefined,
    status: v.status ?? undefined,
    status_message: v.statusMessage ?? undefined,
    tags: tagsJson(v.tags),
    run_link: v.runLink ?? undefined,
    aliases: repeated(v.aliases, (alias) => alias),
  };
}

export function registeredModelJson(m: RegisteredModel): Json {
  return {
    name: m.name,
    creation_timestamp: m.creationTimestamp ?? undefined,
    last_updated_timestamp: m.lastUpdatedTimestamp ?? undefined,
    description: m.description ?? undefined,
    latest_versions: repeated(m.latestVersions, modelVersionJson),
    tags: tagsJson(m.tags),
    aliases: repeated(m.aliases, (a) => ({ alias: a.alias, version: String(a.version) })),
  };
}
