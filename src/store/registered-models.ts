/**
 * MLflow's registered models: create, rename (versions, tags and aliases follow through the
 * schema's ON UPDATE CASCADE keys), update, hard delete, search, latest versions, tags.
 */

import { MlflowError } from "../errors.ts";
import { parseRegisteredModelFilter, parseRegisteredModelOrderBy } from "../search/registry.ts";
import { lastWins, WORKSPACE } from "./common.ts";
import type { Database } from "./db/database.ts";
import { insertIgnoring, onConflictDoNothing, onConflictUpdate, sql } from "./db/sql.ts";
import { loadModel, loadModels, lockModel } from "./registry-load.ts";
import type { CreateRegisteredModel, ModelStage, ModelVersion, RegisteredModel, RegistrySearch } from "./registry-types.ts";
import { text } from "./rows.ts";
import { searchRegisteredModelsSql } from "./search-sql.ts";
import type { Page, Tag } from "./types.ts";

function alreadyExists(name: string): MlflowError {
  return new MlflowError("RESOURCE_ALREADY_EXISTS", `Registered Model (name=${name}) already exists.`);
}

export async function createRegisteredModel(db: Database, input: CreateRegisteredModel): Promise<RegisteredModel> {
  return db.transaction(async (tx) => {
    const now = Date.now();
    const inserted = await tx.run(sql`
      ${insertIgnoring(tx.dialect)} registered_models (name, creation_time, last_updated_time, description, workspace)
      VALUES (${input.name}, ${now}, ${now}, ${input.description ?? null}, ${WORKSPACE})
      ${onConflictDoNothing(tx.dialect)}`);
    if (inserted === 0) throw alreadyExists(input.name);
    for (const tag of lastWins(input.tags)) await upsertModelTag(tx, input.name, tag);
    return loadModel(tx, input.name);
  });
}

export async function renameRegisteredModel(db: Database, name: string, newName: string): Promise<RegisteredModel> {
  return db.transaction(async (tx) => {
    await lockModel(tx, name);
    if (newName !== name) {
      const taken = await tx.all(
        sql`SELECT name FROM registered_models WHERE workspace = ${WORKSPACE} AND name = ${newName}`,
      );
      if (taken.length > 0) throw alreadyExists(newName);
    }
    const now = Date.now();
    // Versions, tags and aliases follow through the schema's ON UPDATE CASCADE keys.
    await tx.run(sql`
      UPDATE registered_models SET name = ${newName}, last_updated_time = ${now}
      WHERE workspace = ${WORKSPACE} AND name = ${name}`);
    await tx.run(sql`
      UPDATE model_versions SET last_updated_time = ${now}
      WHERE workspace = ${WORKSPACE} AND name = ${newName}`);
    return loadModel(tx, newName);
  });
}

export async function updateRegisteredModel(
  db: Database,
  name: string,
  description: string | undefined,
): Promise<RegisteredModel> {
  return db.transaction(async (tx) => {
    await lockModel(tx, name);
    await tx.run(sql`
      UPDATE registered_models SET description = ${description ?? null}, last_updated_time = ${Date.now()}
      WHERE workspace = ${WORKSPACE} AND name = ${name}`);
    return loadModel(tx, name);
  });
}

/** A hard delete, soft-deleted versions included. */
export async function deleteRegisteredModel(db: Database, name: string): Promise<void> {
  await db.transaction(async (tx) => {
    await lockModel(tx, name);
    const model = sql`workspace = ${WORKSPACE} AND name = ${name}`;
    await tx.run(sql`DELETE FROM model_version_tags WHERE ${model}`);
    await tx.run(sql`DELETE FROM registered_model_aliases WHERE ${model}`);
    await tx.run(sql`DELETE FROM model_versions WHERE ${model}`);
    await tx.run(sql`DELETE FROM registered_model_tags WHERE ${model}`);
    await tx.run(sql`DELETE FROM registered_models WHERE ${model}`);
  });
}

export async function searchRegisteredModels(db: Database, query: RegistrySearch): Promise<Page<RegisteredModel>> {
  const rows = await db.all(
    searchRegisteredModelsSql(
      {
        filter: parseRegisteredModelFilter(query.filter),
        orderBy: parseRegisteredModelOrderBy(query.orderBy),
        limit: query.maxResults + 1,
        offset: query.offset,
        workspace: WORKSPACE,
      },
      db.dialect,
    ),
  );
  const names = rows.map((r) => text(r, "registered_models", "name"));
  const items = await loadModels(db, names.slice(0, query.maxResults));
  return names.length > query.maxResults ? { items, nextOffset: query.offset + query.maxResults } : { items };
}

/** `stages` are canonical; empty means every stage. */
export async function getLatestVersions(
  db: Database,
  name: string,
  stages: readonly ModelStage[],
): Promise<ModelVersion[]> {
  const model = await loadModel(db, name);
  const wanted = new Set<string>(stages.length ? stages : ["None", "Staging", "Production", "Archived"]);
  return model.latestVersions.filter((v) => wanted.has(v.currentStage));
}

async function upsertModelTag(tx: Database, name: string, tag: Tag): Promise<void> {
  await tx.run(sql`
    INSERT INTO registered_model_tags ("key", value, name, workspace)
    VALUES (${tag.key}, ${tag.value}, ${name}, ${WORKSPACE})
    ${onConflictUpdate(tx.dialect, 'workspace, "key", name', ["value"])}`);
}

export async function setRegisteredModelTag(db: Database, name: string, tag: Tag): Promise<void> {
  await db.transaction(async (tx) => {
    await lockModel(tx, name);
    await upsertModelTag(tx, name, tag);
  });
}

export async function deleteRegisteredModelTag(db: Database, name: string, key: string): Promise<void> {
  await db.transaction(async (tx) => {
    await lockModel(tx, name);
    await tx.run(sql`
      DELETE FROM registered_model_tags
      WHERE workspace = ${WORKSPACE} AND name = ${name} AND "key" = ${key}`);
  });
}
