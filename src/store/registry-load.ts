/**
 * Loading the model registry's entities, shared by registered-models.ts and model-versions.ts:
 * versions with their tags and aliases, registered models with their latest version per stage,
 * and the existence checks that answer MLflow's 404s.
 */

import { MlflowError, notFound } from "../errors.ts";
import { chunks, DELETED_INTERNAL, WORKSPACE } from "./common.ts";
import type { Database } from "./db/database.ts";
import { forUpdate, list, sql, type Sql } from "./db/sql.ts";
import type { ModelVersion, RegisteredModel } from "./registry-types.ts";
import { decodeAlias, decodeModelVersion, decodeRegisteredModel, decodeTag, integer, text } from "./rows.ts";

/** Names per `IN (...)` list when loading search results: far below SQLite's parameter bound. */
export const NAME_CHUNK = 500;

export const notDeleted = sql`(current_stage IS NULL OR current_stage <> ${DELETED_INTERNAL})`;

export const versionKey = (name: string, version: number): string => `${version}\u0000${name}`;

export function modelNotFound(name: string): MlflowError {
  return notFound(`Registered Model with name=${name} not found`);
}

function versionNotFound(name: string, version: number): MlflowError {
  return notFound(`Model Version (name=${name}, version=${version}) not found`);
}

/** MLflow's latest_versions: walking versions in ascending order, the newest per stage wins. */
function latestPerStage(versions: readonly ModelVersion[]): ModelVersion[] {
  const byStage = new Map<string, ModelVersion>();
  for (const v of [...versions].sort((a, b) => a.version - b.version)) {
    if (v.currentStage === DELETED_INTERNAL) continue;
    byStage.set(v.currentStage, v);
  }
  return [...byStage.values()];
}

/** Non-deleted versions matching `where`, with their tags and aliases. */
export async function loadVersions(db: Database, where: Sql): Promise<ModelVersion[]> {
  const rows = await db.all(sql`
    SELECT name, version, creation_time, last_updated_time, description, user_id, current_stage,
           source, run_id, status, status_message, run_link, storage_location
    FROM model_versions
    WHERE workspace = ${WORKSPACE} AND ${notDeleted} AND ${where}
    ORDER BY name, version`);
  if (rows.length === 0) return [];
  const versions = new Map<string, ModelVersion>();
  for (const r of rows) {
    const v = decodeModelVersion(r);
    versions.set(versionKey(v.name, v.version), v);
  }
  const names = list([...new Set([...versions.values()].map((v) => v.name))]);
  const [tagRows, aliasRows] = await Promise.all([
    db.all(sql`
      SELECT name, version, "key", value FROM model_version_tags
      WHERE workspace = ${WORKSPACE} AND name IN ${names}`),
    db.all(sql`
      SELECT name, version, alias FROM registered_model_aliases
      WHERE workspace = ${WORKSPACE} AND name IN ${names} ORDER BY alias`),
  ]);
  for (const t of tagRows) {
    const key = versionKey(text(t, "model_version_tags", "name"), integer(t, "model_version_tags", "version"));
    versions.get(key)?.tags.push(decodeTag(t, "model_version_tags"));
  }
  for (const row of aliasRows) {
    const a = decodeAlias(row);
    versions.get(versionKey(a.name, a.version))?.aliases.push(a.alias);
  }
  return [...versions.values()];
}

/** Registered models by name, with tags, aliases and latest versions, in the given order. */
export async function loadModels(db: Database, names: readonly string[]): Promise<RegisteredModel[]> {
  if (names.length === 0) return [];
  const models = new Map<string, RegisteredModel>();
  for (const chunk of chunks(names, NAME_CHUNK)) {
    const inNames = list(chunk);
    const [rows, tagRows, aliasRows, versions] = await Promise.all([
      db.all(sql`
        SELECT name, creation_time, last_updated_time, description FROM registered_models
        WHERE workspace = ${WORKSPACE} AND name IN ${inNames}`),
      db.all(sql`
        SELECT name, "key", value FROM registered_model_tags
        WHERE workspace = ${WORKSPACE} AND name IN ${inNames}`),
      db.all(sql`
        SELECT name, alias, version FROM registered_model_aliases
        WHERE workspace = ${WORKSPACE} AND name IN ${inNames} ORDER BY alias`),
      loadVersions(db, sql`name IN ${inNames}`),
    ]);
    for (const r of rows) {
      const model = decodeRegisteredModel(r);
      models.set(model.name, model);
    }
    for (const t of tagRows) {
      models.get(text(t, "registered_model_tags", "name"))?.tags.push(decodeTag(t, "registered_model_tags"));
    }
    for (const row of aliasRows) {
      const a = decodeAlias(row);
      models.get(a.name)?.aliases.push({ alias: a.alias, version: a.version });
    }
    const byModel = new Map<string, ModelVersion[]>();
    for (const v of versions) byModel.set(v.name, [...(byModel.get(v.name) ?? []), v]);
    for (const [name, vs] of byModel) {
      const model = models.get(name);
      if (model) model.latestVersions = latestPerStage(vs);
    }
  }
  return names.map((n) => models.get(n)).filter((m) => m !== undefined);
}

/** The registered model or MLflow's 404; `db` may be a transaction. */
export async function loadModel(db: Database, name: string): Promise<RegisteredModel> {
  const [model] = await loadModels(db, [name]);
  if (!model) throw modelNotFound(name);
  return model;
}

/**
 * Locks the registered model's row for the rest of the transaction, or MLflow's 404. Every write
 * to a model, its versions, tags or aliases takes this lock first: version numbers are then
 * handed out one at a time (MAX + 1 across every fml process), and stage transitions that archive
 * sibling versions cannot deadlock each other.
 */
export async function lockModel(tx: Database, name: string): Promise<void> {
  const rows = await tx.all(sql`
    SELECT name FROM registered_models WHERE workspace = ${WORKSPACE} AND name = ${name}
    ${forUpdate(tx.dialect)}`);
  if (rows.length === 0) throw modelNotFound(name);
}

/** Locks the model (see lockModel); then fails with MLflow's 404 unless the version exists. */
export async function lockVersion(tx: Database, name: string, version: number): Promise<void> {
  await lockModel(tx, name);
  await requireVersionRow(tx, name, version);
}

/** Fails with MLflow's 404 unless the registered model exists. */
export async function requireModel(db: Database, name: string): Promise<void> {
  const rows = await db.all(
    sql`SELECT name FROM registered_models WHERE workspace = ${WORKSPACE} AND name = ${name}`,
  );
  if (rows.length === 0) throw modelNotFound(name);
}

/** The (non-deleted) version or MLflow's 404. */
export async function loadVersion(db: Database, name: string, version: number): Promise<ModelVersion> {
  await requireModel(db, name);
  const [found] = await loadVersions(db, sql`name = ${name} AND version = ${version}`);
  if (!found) throw versionNotFound(name, version);
  return found;
}

/** Fails with MLflow's 404 unless the version exists and is not soft-deleted. */
async function requireVersionRow(db: Database, name: string, version: number): Promise<void> {
  const rows = await db.all(sql`
    SELECT version FROM model_versions
    WHERE workspace = ${WORKSPACE} AND name = ${name} AND version = ${version} AND ${notDeleted}`);
  if (rows.length === 0) throw versionNotFound(name, version);
}

export async function touchModel(db: Database, name: string, now: number): Promise<void> {
  await db.run(sql`
    UPDATE registered_models SET last_updated_time = ${now}
    WHERE workspace = ${WORKSPACE} AND name = ${name}`);
}
