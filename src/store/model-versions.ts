/**
 * MLflow's model versions: numbers that are never reused, soft delete (`Deleted_Internal`),
 * stage transitions with archiving, search, download URIs, version tags, and the aliases that
 * point at versions. Requests arrive validated.
 */

import { invalidParameter } from "../errors.ts";
import { parseModelVersionFilter, parseModelVersionOrderBy } from "../search/registry.ts";
import { chunks, DELETED_INTERNAL, lastWins, WORKSPACE } from "./common.ts";
import type { Database } from "./db/database.ts";
import { list, onConflictUpdate, sql } from "./db/sql.ts";
import {
  loadVersion,
  loadVersions,
  NAME_CHUNK,
  notDeleted,
  lockModel,
  lockVersion,
  requireModel,
  touchModel,
  versionKey,
} from "./registry-load.ts";
import type { CreateModelVersion, ModelStage, ModelVersion, RegistrySearch } from "./registry-types.ts";
import { integer, optionalInteger, optionalText, text } from "./rows.ts";
import { searchModelVersionsSql } from "./search-sql.ts";
import type { Page, Tag } from "./types.ts";

export async function createModelVersion(db: Database, input: CreateModelVersion): Promise<ModelVersion> {
  return db.transaction(async (tx) => {
    // Under the model's lock no other writer can take the same number.
    await lockModel(tx, input.name);
    // Soft-deleted versions count: numbers are never reused.
    const [max] = await tx.all(sql`
      SELECT MAX(version) AS max_version FROM model_versions
      WHERE workspace = ${WORKSPACE} AND name = ${input.name}`);
    const version = (optionalInteger(max ?? {}, "model_versions", "max_version") ?? 0) + 1;
    const storageLocation = input.storageLocation ?? (await storageLocationOf(tx, input.source));
    const now = Date.now();
    // An absent description, run_id or run_link is stored as "", as MLflow stores the unset proto field.
    await tx.run(sql`
      INSERT INTO model_versions (name, version, creation_time, last_updated_time, description,
        user_id, current_stage, source, run_id, status, status_message, run_link,
        storage_location, workspace)
      VALUES (${input.name}, ${version}, ${now}, ${now}, ${input.description ?? ""}, NULL,
        'None', ${input.source}, ${input.runId ?? ""}, 'READY', NULL, ${input.runLink ?? ""},
        ${storageLocation}, ${WORKSPACE})`);
    for (const tag of lastWins(input.tags)) await upsertVersionTag(tx, input.name, version, tag);
    await touchModel(tx, input.name, now);
    return loadVersion(tx, input.name, version);
  });
}

/** Like MLflow, a `models:/<name>/<version>` source points at where that version's files are. */
async function storageLocationOf(tx: Database, source: string): Promise<string> {
  const match = /^models:\/([^/]+)\/(\d+)\/?$/.exec(source);
  if (!match) return source;
  const [row] = await tx.all(sql`
    SELECT storage_location, source FROM model_versions
    WHERE workspace = ${WORKSPACE} AND name = ${match[1] as string} AND version = ${Number(match[2])}
      AND ${notDeleted}`);
  if (!row) return source;
  return optionalText(row, "model_versions", "storage_location") ?? optionalText(row, "model_versions", "source") ?? source;
}

export async function updateModelVersion(
  db: Database,
  name: string,
  version: number,
  description: string | undefined,
): Promise<ModelVersion> {
  return db.transaction(async (tx) => {
    await lockVersion(tx, name, version);
    await tx.run(sql`
      UPDATE model_versions SET description = ${description ?? null}, last_updated_time = ${Date.now()}
      WHERE workspace = ${WORKSPACE} AND name = ${name} AND version = ${version}`);
    return loadVersion(tx, name, version);
  });
}

export async function transitionModelVersionStage(
  db: Database,
  name: string,
  version: number,
  stage: ModelStage,
  archiveExistingVersions: boolean,
): Promise<ModelVersion> {
  return db.transaction(async (tx) => {
    await lockVersion(tx, name, version);
    const now = Date.now();
    if (archiveExistingVersions) {
      await tx.run(sql`
        UPDATE model_versions SET current_stage = 'Archived', last_updated_time = ${now}
        WHERE workspace = ${WORKSPACE} AND name = ${name} AND version <> ${version}
          AND current_stage = ${stage}`);
    }
    await tx.run(sql`
      UPDATE model_versions SET current_stage = ${stage}, last_updated_time = ${now}
      WHERE workspace = ${WORKSPACE} AND name = ${name} AND version = ${version}`);
    await touchModel(tx, name, now);
    return loadVersion(tx, name, version);
  });
}

/** MLflow's soft delete: the row stays, redacted, so its number is never handed out again. */
export async function deleteModelVersion(db: Database, name: string, version: number): Promise<void> {
  await db.transaction(async (tx) => {
    await lockVersion(tx, name, version);
    const now = Date.now();
    await tx.run(sql`
      DELETE FROM registered_model_aliases
      WHERE workspace = ${WORKSPACE} AND name = ${name} AND version = ${version}`);
    await tx.run(sql`
      UPDATE model_versions SET current_stage = ${DELETED_INTERNAL},
        source = 'REDACTED-SOURCE-PATH', run_id = 'REDACTED-RUN-ID', run_link = 'REDACTED-RUN-LINK',
        description = NULL, user_id = NULL, status_message = NULL, last_updated_time = ${now}
      WHERE workspace = ${WORKSPACE} AND name = ${name} AND version = ${version}`);
    await touchModel(tx, name, now);
  });
}

export async function searchModelVersions(db: Database, query: RegistrySearch): Promise<Page<ModelVersion>> {
  const rows = await db.all(
    searchModelVersionsSql(
      {
        filter: parseModelVersionFilter(query.filter),
        orderBy: parseModelVersionOrderBy(query.orderBy),
        limit: query.maxResults + 1,
        offset: query.offset,
        workspace: WORKSPACE,
      },
      db.dialect,
    ),
  );
  const keys = rows.slice(0, query.maxResults).map((r) => ({
    name: text(r, "model_versions", "name"),
    version: integer(r, "model_versions", "version"),
  }));
  const loaded = new Map<string, ModelVersion>();
  for (const chunk of chunks([...new Set(keys.map((k) => k.name))], NAME_CHUNK)) {
    for (const v of await loadVersions(db, sql`name IN ${list(chunk)}`)) {
      loaded.set(versionKey(v.name, v.version), v);
    }
  }
  const items = keys.map((k) => loaded.get(versionKey(k.name, k.version))).filter((v) => v !== undefined);
  return rows.length > query.maxResults ? { items, nextOffset: query.offset + query.maxResults } : { items };
}

export async function getModelVersionDownloadUri(db: Database, name: string, version: number): Promise<string> {
  const found = await loadVersion(db, name, version);
  return found.storageLocation || found.source || "";
}

async function upsertVersionTag(tx: Database, name: string, version: number, tag: Tag): Promise<void> {
  await tx.run(sql`
    INSERT INTO model_version_tags ("key", value, name, version, workspace)
    VALUES (${tag.key}, ${tag.value}, ${name}, ${version}, ${WORKSPACE})
    ${onConflictUpdate(tx.dialect, 'workspace, "key", name, version', ["value"])}`);
}

export async function setModelVersionTag(db: Database, name: string, version: number, tag: Tag): Promise<void> {
  await db.transaction(async (tx) => {
    await lockVersion(tx, name, version);
    await upsertVersionTag(tx, name, version, tag);
  });
}

export async function deleteModelVersionTag(db: Database, name: string, version: number, key: string): Promise<void> {
  await db.transaction(async (tx) => {
    await lockVersion(tx, name, version);
    await tx.run(sql`
      DELETE FROM model_version_tags
      WHERE workspace = ${WORKSPACE} AND name = ${name} AND version = ${version} AND "key" = ${key}`);
  });
}

// Aliases

/** Setting an alias that exists moves it to `version`. */
export async function setRegisteredModelAlias(db: Database, name: string, alias: string, version: number): Promise<void> {
  await db.transaction(async (tx) => {
    await lockVersion(tx, name, version);
    await tx.run(sql`
      INSERT INTO registered_model_aliases (alias, version, name, workspace)
      VALUES (${alias}, ${version}, ${name}, ${WORKSPACE})
      ${onConflictUpdate(tx.dialect, "workspace, name, alias", ["version"])}`);
    await touchModel(tx, name, Date.now());
  });
}

export async function deleteRegisteredModelAlias(db: Database, name: string, alias: string): Promise<void> {
  await db.transaction(async (tx) => {
    await lockModel(tx, name);
    await tx.run(sql`
      DELETE FROM registered_model_aliases
      WHERE workspace = ${WORKSPACE} AND name = ${name} AND alias = ${alias}`);
    await touchModel(tx, name, Date.now());
  });
}

export async function getModelVersionByAlias(db: Database, name: string, alias: string): Promise<ModelVersion> {
  await requireModel(db, name);
  const [row] = await db.all(sql`
    SELECT version FROM registered_model_aliases
    WHERE workspace = ${WORKSPACE} AND name = ${name} AND alias = ${alias}`);
  if (!row) throw invalidParameter(`Registered model alias ${alias} not found.`);
  return loadVersion(db, name, integer(row, "registered_model_aliases", "version"));
}
