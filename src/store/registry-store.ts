/**
 * MLflow's model registry on MLflow's own schema, written once for every SQL database: version
 * numbers that are never reused, soft-deleted versions (`Deleted_Internal`), stages with archiving,
 * aliases, tags. Renames rely on the schema's ON UPDATE CASCADE foreign keys. Nothing here knows
 * about HTTP; requests arrive validated.
 */

import { invalidParameter, MlflowError, notFound } from "../errors.ts";
import {
  parseModelVersionFilter,
  parseModelVersionOrderBy,
  parseRegisteredModelFilter,
  parseRegisteredModelOrderBy,
} from "../search/registry.ts";
import { toNumber, type Database, type Row } from "./db/database.ts";
import type {
  CreateModelVersion,
  CreateRegisteredModel,
  ModelStage,
  ModelVersion,
  RegisteredModel,
  RegistrySearch,
  RegistryStore,
} from "./registry-types.ts";
import { searchModelVersionsSql, searchRegisteredModelsSql } from "./search-sql.ts";
import { list, sql, type Sql } from "./db/sql.ts";
import { chunks, DELETED_INTERNAL, lastWins, WORKSPACE } from "./common.ts";
import type { Page, Tag } from "./types.ts";

export type { RegistryStore } from "./registry-types.ts";

/** Names per `IN (...)` list when loading search results: far below SQLite's parameter bound. */
const NAME_CHUNK = 500;
/** Concurrent registrations of one model may pick the same number; MLflow retries too. */
const CREATE_VERSION_ATTEMPTS = 5;

const notDeleted = sql`(current_stage IS NULL OR current_stage <> ${DELETED_INTERNAL})`;

const text = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));
const versionKey = (name: string, version: number): string => `${version}\u0000${name}`;

function modelNotFound(name: string): MlflowError {
  return notFound(`Registered Model with name=${name} not found`);
}

function versionNotFound(name: string, version: number): MlflowError {
  return notFound(`Model Version (name=${name}, version=${version}) not found`);
}

function alreadyExists(name: string): MlflowError {
  return new MlflowError("RESOURCE_ALREADY_EXISTS", `Registered Model (name=${name}) already exists.`);
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

export class SqlRegistryStore implements RegistryStore {
  constructor(private readonly db: Database) {}

  // -------------------------------------------------------------------------------------------
  // Loading

  /** Non-deleted versions matching `where`, with their tags and aliases. */
  private async loadVersions(where: Sql, db: Database = this.db): Promise<ModelVersion[]> {
    const rows = await db.all(sql`
      SELECT name, version, creation_time, last_updated_time, description, user_id, current_stage,
             source, run_id, status, status_message, run_link, storage_location
      FROM model_versions
      WHERE workspace = ${WORKSPACE} AND ${notDeleted} AND ${where}
      ORDER BY name, version`);
    if (rows.length === 0) return [];
    const names = list([...new Set(rows.map((r) => String(r.name)))]);
    const [tagRows, aliasRows] = await Promise.all([
      db.all(sql`
        SELECT name, version, "key", value FROM model_version_tags
        WHERE workspace = ${WORKSPACE} AND name IN ${names}`),
      db.all(sql`
        SELECT name, version, alias FROM registered_model_aliases
        WHERE workspace = ${WORKSPACE} AND name IN ${names} ORDER BY alias`),
    ]);
    const versions = new Map<string, ModelVersion>();
    for (const r of rows) {
      const v = this.versionFromRow(r);
      versions.set(versionKey(v.name, v.version), v);
    }
    for (const t of tagRows) {
      versions
        .get(versionKey(String(t.name), toNumber(t.version) as number))
        ?.tags.push({ key: String(t.key), value: String(t.value ?? "") });
    }
    for (const a of aliasRows) {
      versions.get(versionKey(String(a.name), toNumber(a.version) as number))?.aliases.push(String(a.alias));
    }
    return [...versions.values()];
  }

  private versionFromRow(r: Row): ModelVersion {
    return {
      name: String(r.name),
      version: toNumber(r.version) as number,
      creationTimestamp: toNumber(r.creation_time),
      lastUpdatedTimestamp: toNumber(r.last_updated_time),
      userId: text(r.user_id),
      currentStage: text(r.current_stage) ?? "None",
      description: text(r.description),
      source: text(r.source),
      runId: text(r.run_id),
      status: text(r.status),
      statusMessage: text(r.status_message),
      runLink: text(r.run_link),
      storageLocation: text(r.storage_location),
      tags: [],
      aliases: [],
    };
  }

  /** Registered models by name, with tags, aliases and latest versions, in the given order. */
  private async loadModels(names: readonly string[], db: Database = this.db): Promise<RegisteredModel[]> {
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
        this.loadVersions(sql`name IN ${inNames}`, db),
      ]);
      for (const r of rows) {
        models.set(String(r.name), {
          name: String(r.name),
          creationTimestamp: toNumber(r.creation_time),
          lastUpdatedTimestamp: toNumber(r.last_updated_time),
          description: text(r.description),
          latestVersions: [],
          tags: [],
          aliases: [],
        });
      }
      for (const t of tagRows) {
        models.get(String(t.name))?.tags.push({ key: String(t.key), value: String(t.value ?? "") });
      }
      for (const a of aliasRows) {
        models.get(String(a.name))?.aliases.push({ alias: String(a.alias), version: toNumber(a.version) as number });
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

  private async model(name: string, db: Database = this.db): Promise<RegisteredModel> {
    const [model] = await this.loadModels([name], db);
    if (!model) throw modelNotFound(name);
    return model;
  }

  /** Fails with MLflow's 404 unless the registered model exists. */
  private async requireModel(db: Database, name: string): Promise<void> {
    const rows = await db.all(
      sql`SELECT name FROM registered_models WHERE workspace = ${WORKSPACE} AND name = ${name}`,
    );
    if (rows.length === 0) throw modelNotFound(name);
  }

  private async version(name: string, version: number, db: Database = this.db): Promise<ModelVersion> {
    await this.requireModel(db, name);
    const [found] = await this.loadVersions(sql`name = ${name} AND version = ${version}`, db);
    if (!found) throw versionNotFound(name, version);
    return found;
  }

  /** Fails with MLflow's 404 unless the version exists and is not soft-deleted. */
  private async requireVersion(db: Database, name: string, version: number): Promise<void> {
    await this.requireModel(db, name);
    const rows = await db.all(sql`
      SELECT version FROM model_versions
      WHERE workspace = ${WORKSPACE} AND name = ${name} AND version = ${version} AND ${notDeleted}`);
    if (rows.length === 0) throw versionNotFound(name, version);
  }

  private async touchModel(db: Database, name: string, now: number): Promise<void> {
    await db.run(sql`
      UPDATE registered_models SET last_updated_time = ${now}
      WHERE workspace = ${WORKSPACE} AND name = ${name}`);
  }

  // -------------------------------------------------------------------------------------------
  // Registered models

  async createRegisteredModel(input: CreateRegisteredModel): Promise<RegisteredModel> {
    return this.db.transaction(async (tx) => {
      const now = Date.now();
      const inserted = await tx.run(sql`
        INSERT INTO registered_models (name, creation_time, last_updated_time, description, workspace)
        VALUES (${input.name}, ${now}, ${now}, ${input.description ?? null}, ${WORKSPACE})
        ON CONFLICT DO NOTHING`);
      if (inserted === 0) throw alreadyExists(input.name);
      for (const tag of lastWins(input.tags)) await this.upsertModelTag(tx, input.name, tag);
      return this.model(input.name, tx);
    });
  }

  getRegisteredModel(name: string): Promise<RegisteredModel> {
    return this.model(name);
  }

  async renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel> {
    return this.db.transaction(async (tx) => {
      await this.requireModel(tx, name);
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
      return this.model(newName, tx);
    });
  }

  async updateRegisteredModel(name: string, description: string | undefined): Promise<RegisteredModel> {
    return this.db.transaction(async (tx) => {
      await this.requireModel(tx, name);
      await tx.run(sql`
        UPDATE registered_models SET description = ${description ?? null}, last_updated_time = ${Date.now()}
        WHERE workspace = ${WORKSPACE} AND name = ${name}`);
      return this.model(name, tx);
    });
  }

  /** A hard delete, soft-deleted versions included. */
  async deleteRegisteredModel(name: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.requireModel(tx, name);
      const model = sql`workspace = ${WORKSPACE} AND name = ${name}`;
      await tx.run(sql`DELETE FROM model_version_tags WHERE ${model}`);
      await tx.run(sql`DELETE FROM registered_model_aliases WHERE ${model}`);
      await tx.run(sql`DELETE FROM model_versions WHERE ${model}`);
      await tx.run(sql`DELETE FROM registered_model_tags WHERE ${model}`);
      await tx.run(sql`DELETE FROM registered_models WHERE ${model}`);
    });
  }

  async searchRegisteredModels(query: RegistrySearch): Promise<Page<RegisteredModel>> {
    const rows = await this.db.all<{ name: unknown }>(
      searchRegisteredModelsSql(
        {
          filter: parseRegisteredModelFilter(query.filter),
          orderBy: parseRegisteredModelOrderBy(query.orderBy),
          limit: query.maxResults + 1,
          offset: query.offset,
          workspace: WORKSPACE,
        },
        this.db.dialect,
      ),
    );
    const names = rows.map((r) => String(r.name));
    const items = await this.loadModels(names.slice(0, query.maxResults));
    return names.length > query.maxResults
      ? { items, nextOffset: query.offset + query.maxResults }
      : { items };
  }

  async getLatestVersions(name: string, stages: readonly ModelStage[]): Promise<ModelVersion[]> {
    const model = await this.model(name);
    const wanted = new Set<string>(stages.length ? stages : ["None", "Staging", "Production", "Archived"]);
    return model.latestVersions.filter((v) => wanted.has(v.currentStage));
  }

  private async upsertModelTag(tx: Database, name: string, tag: Tag): Promise<void> {
    await tx.run(sql`
      INSERT INTO registered_model_tags ("key", value, name, workspace)
      VALUES (${tag.key}, ${tag.value}, ${name}, ${WORKSPACE})
      ON CONFLICT (workspace, "key", name) DO UPDATE SET value = excluded.value`);
  }

  async setRegisteredModelTag(name: string, tag: Tag): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.requireModel(tx, name);
      await this.upsertModelTag(tx, name, tag);
    });
  }

  async deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.requireModel(tx, name);
      await tx.run(sql`
        DELETE FROM registered_model_tags
        WHERE workspace = ${WORKSPACE} AND name = ${name} AND "key" = ${key}`);
    });
  }

  // -------------------------------------------------------------------------------------------
  // Model versions

  async createModelVersion(input: CreateModelVersion): Promise<ModelVersion> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.transaction(async (tx) => {
          await this.requireModel(tx, input.name);
          // Soft-deleted versions count: numbers are never reused.
          const [max] = await tx.all(sql`
            SELECT MAX(version) AS max_version FROM model_versions
            WHERE workspace = ${WORKSPACE} AND name = ${input.name}`);
          const version = (toNumber(max?.max_version) ?? 0) + 1;
          const storageLocation = await this.storageLocation(tx, input.source);
          const now = Date.now();
          await tx.run(sql`
            INSERT INTO model_versions (name, version, creation_time, last_updated_time, description,
              user_id, current_stage, source, run_id, status, status_message, run_link,
              storage_location, workspace)
            VALUES (${input.name}, ${version}, ${now}, ${now}, ${input.description ?? null}, NULL,
              'None', ${input.source}, ${input.runId ?? null}, 'READY', NULL, ${input.runLink ?? null},
              ${storageLocation}, ${WORKSPACE})`);
          for (const tag of lastWins(input.tags)) await this.upsertVersionTag(tx, input.name, version, tag);
          await this.touchModel(tx, input.name, now);
          return this.version(input.name, version, tx);
        });
      } catch (error) {
        if (error instanceof MlflowError || attempt >= CREATE_VERSION_ATTEMPTS) throw error;
      }
    }
  }

  /** Like MLflow, a `models:/<name>/<version>` source points at where that version's files are. */
  private async storageLocation(tx: Database, source: string): Promise<string> {
    const match = /^models:\/([^/]+)\/(\d+)\/?$/.exec(source);
    if (!match) return source;
    const [row] = await tx.all(sql`
      SELECT storage_location, source FROM model_versions
      WHERE workspace = ${WORKSPACE} AND name = ${match[1] as string} AND version = ${Number(match[2])}
        AND ${notDeleted}`);
    return text(row?.storage_location) ?? text(row?.source) ?? source;
  }

  getModelVersion(name: string, version: number): Promise<ModelVersion> {
    return this.version(name, version);
  }

  async updateModelVersion(name: string, version: number, description: string | undefined): Promise<ModelVersion> {
    return this.db.transaction(async (tx) => {
      await this.requireVersion(tx, name, version);
      await tx.run(sql`
        UPDATE model_versions SET description = ${description ?? null}, last_updated_time = ${Date.now()}
        WHERE workspace = ${WORKSPACE} AND name = ${name} AND version = ${version}`);
      return this.version(name, version, tx);
    });
  }

  async transitionModelVersionStage(
    name: string,
    version: number,
    stage: ModelStage,
    archiveExistingVersions: boolean,
  ): Promise<ModelVersion> {
    return this.db.transaction(async (tx) => {
      await this.requireVersion(tx, name, version);
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
      await this.touchModel(tx, name, now);
      return this.version(name, version, tx);
    });
  }

  /** MLflow's soft delete: the row stays, redacted, so its number is never handed out again. */
  async deleteModelVersion(name: string, version: number): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.requireVersion(tx, name, version);
      const now = Date.now();
      await tx.run(sql`
        DELETE FROM registered_model_aliases
        WHERE workspace = ${WORKSPACE} AND name = ${name} AND version = ${version}`);
      await tx.run(sql`
        UPDATE model_versions SET current_stage = ${DELETED_INTERNAL},
          source = 'REDACTED-SOURCE-PATH', run_id = 'REDACTED-RUN-ID', run_link = 'REDACTED-RUN-LINK',
          description = NULL, user_id = NULL, status_message = NULL, last_updated_time = ${now}
        WHERE workspace = ${WORKSPACE} AND name = ${name} AND version = ${version}`);
      await this.touchModel(tx, name, now);
    });
  }

  async searchModelVersions(query: RegistrySearch): Promise<Page<ModelVersion>> {
    const rows = await this.db.all<{ name: unknown; version: unknown }>(
      searchModelVersionsSql(
        {
          filter: parseModelVersionFilter(query.filter),
          orderBy: parseModelVersionOrderBy(query.orderBy),
          limit: query.maxResults + 1,
          offset: query.offset,
          workspace: WORKSPACE,
        },
        this.db.dialect,
      ),
    );
    const keys = rows.slice(0, query.maxResults).map((r) => ({
      name: String(r.name),
      version: toNumber(r.version) as number,
    }));
    const loaded = new Map<string, ModelVersion>();
    for (const chunk of chunks([...new Set(keys.map((k) => k.name))], NAME_CHUNK)) {
      for (const v of await this.loadVersions(sql`name IN ${list(chunk)}`)) {
        loaded.set(versionKey(v.name, v.version), v);
      }
    }
    const items = keys.map((k) => loaded.get(versionKey(k.name, k.version))).filter((v) => v !== undefined);
    return rows.length > query.maxResults
      ? { items, nextOffset: query.offset + query.maxResults }
      : { items };
  }

  async getModelVersionDownloadUri(name: string, version: number): Promise<string> {
    const found = await this.version(name, version);
    return found.storageLocation || found.source || "";
  }

  private async upsertVersionTag(tx: Database, name: string, version: number, tag: Tag): Promise<void> {
    await tx.run(sql`
      INSERT INTO model_version_tags ("key", value, name, version, workspace)
      VALUES (${tag.key}, ${tag.value}, ${name}, ${version}, ${WORKSPACE})
      ON CONFLICT (workspace, "key", name, version) DO UPDATE SET value = excluded.value`);
  }

  async setModelVersionTag(name: string, version: number, tag: Tag): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.requireVersion(tx, name, version);
      await this.upsertVersionTag(tx, name, version, tag);
    });
  }

  async deleteModelVersionTag(name: string, version: number, key: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.requireVersion(tx, name, version);
      await tx.run(sql`
        DELETE FROM model_version_tags
        WHERE workspace = ${WORKSPACE} AND name = ${name} AND version = ${version} AND "key" = ${key}`);
    });
  }

  // -------------------------------------------------------------------------------------------
  // Aliases

  /** Setting an alias that exists moves it to `version`. */
  async setRegisteredModelAlias(name: string, alias: string, version: number): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.requireVersion(tx, name, version);
      await tx.run(sql`
        INSERT INTO registered_model_aliases (alias, version, name, workspace)
        VALUES (${alias}, ${version}, ${name}, ${WORKSPACE})
        ON CONFLICT (workspace, name, alias) DO UPDATE SET version = excluded.version`);
      await this.touchModel(tx, name, Date.now());
    });
  }

  async deleteRegisteredModelAlias(name: string, alias: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.requireModel(tx, name);
      await tx.run(sql`
        DELETE FROM registered_model_aliases
        WHERE workspace = ${WORKSPACE} AND name = ${name} AND alias = ${alias}`);
      await this.touchModel(tx, name, Date.now());
    });
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    await this.requireModel(this.db, name);
    const [row] = await this.db.all(sql`
      SELECT version FROM registered_model_aliases
      WHERE workspace = ${WORKSPACE} AND name = ${name} AND alias = ${alias}`);
    if (!row) throw invalidParameter(`Registered model alias ${alias} not found.`);
    return this.version(name, toNumber(row.version) as number);
  }
}
