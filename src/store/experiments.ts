/**
 * MLflow's experiments: create (names unique per workspace), get, search, rename, soft delete and
 * restore (which carry the experiment's runs along), tags. Free functions over a `Database`, so a
 * transaction passes its own handle.
 */

import { invalidParameter, MlflowError, notFound } from "../errors.ts";
import { parseExperimentFilter, parseExperimentOrderBy } from "../search/experiments.ts";
import { joinUri, lastWins, parseExperimentId, WORKSPACE } from "./common.ts";
import type { Database } from "./db/database.ts";
import { insertIgnoring, list, onConflictDoNothing, onConflictUpdate, sql, type Sql } from "./db/sql.ts";
import { decodeExperiment, decodeTag, integer } from "./rows.ts";
import { searchExperimentsSql } from "./search-sql.ts";
import type { CreateExperiment, Experiment, LifecycleStage, Page, SearchExperiments, Tag } from "./types.ts";

/** MLflow's server creates the Default experiment (id 0) when it is missing. */
export async function ensureDefaultExperiment(db: Database, defaultArtifactRoot: string): Promise<void> {
  const rows = await db.all(sql`SELECT experiment_id FROM experiments WHERE experiment_id = 0`);
  if (rows.length > 0) return;
  const now = Date.now();
  // Several fml processes may start at once on one database: the first insert wins.
  await db.run(sql`
    ${insertIgnoring(db.dialect)} experiments
      (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
    VALUES (0, 'Default', ${joinUri(defaultArtifactRoot, "0")}, 'active', ${now}, ${now})
    ${onConflictDoNothing(db.dialect)}`);
}

async function requireNameFree(tx: Database, name: string): Promise<void> {
  const taken = await tx.all(
    sql`SELECT experiment_id FROM experiments WHERE name = ${name} AND workspace = ${WORKSPACE}`,
  );
  if (taken.length > 0) {
    throw new MlflowError(
      "RESOURCE_ALREADY_EXISTS",
      `Experiment(name=${name}) already exists. Error: UNIQUE constraint failed`,
    );
  }
}

/** New experiments without an artifact location get `<defaultArtifactRoot>/<experiment_id>`. */
export async function createExperiment(
  db: Database,
  defaultArtifactRoot: string,
  input: CreateExperiment,
): Promise<string> {
  return db.transaction(async (tx) => {
    await requireNameFree(tx, input.name);
    const now = Date.now();
    const insert = sql`
      INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time, last_update_time)
      VALUES (${input.name}, ${input.artifactLocation ?? null}, 'active', ${now}, ${now})`;
    // MySQL has no RETURNING; the id it gave is the connection's LAST_INSERT_ID().
    const [inserted] =
      tx.dialect === "mysql"
        ? (await tx.run(insert), await tx.all(sql`SELECT LAST_INSERT_ID() AS experiment_id`))
        : await tx.all(sql`${insert} RETURNING experiment_id`);
    const id = integer(inserted ?? {}, "experiments", "experiment_id");
    if (!input.artifactLocation) {
      await tx.run(sql`
        UPDATE experiments SET artifact_location = ${joinUri(defaultArtifactRoot, String(id))}
        WHERE experiment_id = ${id}`);
    }
    for (const tag of lastWins(input.tags)) await upsertExperimentTag(tx, id, tag);
    return String(id);
  });
}

async function upsertExperimentTag(tx: Database, id: number, tag: Tag): Promise<void> {
  await tx.run(sql`
    INSERT INTO experiment_tags ("key", value, experiment_id) VALUES (${tag.key}, ${tag.value}, ${id})
    ${onConflictUpdate(tx.dialect, '"key", experiment_id', ["value"])}`);
}

async function loadExperiments(db: Database, where: Sql): Promise<Experiment[]> {
  const rows = await db.all(sql`
    SELECT experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time
    FROM experiments WHERE ${where}`);
  if (rows.length === 0) return [];
  const ids = rows.map((r) => integer(r, "experiments", "experiment_id"));
  const tagRows = await db.all(
    sql`SELECT "key", value, experiment_id FROM experiment_tags WHERE experiment_id IN ${list(ids)}`,
  );
  const tagsById = new Map<number, Tag[]>();
  for (const t of tagRows) {
    const id = integer(t, "experiment_tags", "experiment_id");
    const tags = tagsById.get(id) ?? [];
    tags.push(decodeTag(t, "experiment_tags"));
    tagsById.set(id, tags);
  }
  return rows.map((r, i) => decodeExperiment(r, tagsById.get(ids[i] as number) ?? []));
}

/** The experiment without its tags (all that creating a run needs), or MLflow's 404. */
export async function experimentWithoutTags(db: Database, id: string): Promise<Experiment> {
  const numeric = parseExperimentId(id);
  const [row] = await db.all(sql`
    SELECT experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time
    FROM experiments WHERE experiment_id = ${numeric}`);
  if (!row) throw notFound(`No Experiment with id=${id} exists`);
  return decodeExperiment(row, []);
}

/** The experiment or MLflow's 404; `db` may be a transaction. */
export async function experimentById(db: Database, id: string): Promise<Experiment> {
  const numeric = parseExperimentId(id);
  const [experiment] = await loadExperiments(db, sql`experiment_id = ${numeric}`);
  if (!experiment) throw notFound(`No Experiment with id=${id} exists`);
  return experiment;
}

export async function getExperimentByName(db: Database, name: string): Promise<Experiment> {
  const [experiment] = await loadExperiments(db, sql`name = ${name} AND workspace = ${WORKSPACE}`);
  if (!experiment) throw notFound(`Could not find experiment with name '${name}'`);
  return experiment;
}

export async function searchExperiments(db: Database, query: SearchExperiments): Promise<Page<Experiment>> {
  const rows = await db.all(
    searchExperimentsSql(
      {
        viewType: query.viewType,
        filter: parseExperimentFilter(query.filter),
        orderBy: parseExperimentOrderBy(query.orderBy),
        limit: query.maxResults + 1,
        offset: query.offset,
      },
      db.dialect,
    ),
  );
  const ids = rows.map((r) => integer(r, "experiments", "experiment_id"));
  const page = ids.slice(0, query.maxResults);
  const loaded = page.length ? await loadExperiments(db, sql`experiment_id IN ${list(page)}`) : [];
  const byId = new Map(loaded.map((e) => [e.experimentId, e]));
  const items = page.map((id) => byId.get(String(id))).filter((e) => e !== undefined);
  return ids.length > query.maxResults ? { items, nextOffset: query.offset + query.maxResults } : { items };
}

async function activeExperiment(tx: Database, id: string): Promise<Experiment> {
  const experiment = await experimentById(tx, id);
  if (experiment.lifecycleStage !== "active") {
    throw invalidParameter(
      `The experiment ${id} must be in the 'active' state. Current state is ${experiment.lifecycleStage}.`,
    );
  }
  return experiment;
}

export async function renameExperiment(db: Database, experimentId: string, newName: string): Promise<void> {
  await db.transaction(async (tx) => {
    const experiment = await experimentById(tx, experimentId);
    if (experiment.lifecycleStage !== "active") {
      throw new MlflowError("INVALID_STATE", "Cannot rename a non-active experiment.");
    }
    if (experiment.name === newName) return;
    await requireNameFree(tx, newName);
    await tx.run(sql`
      UPDATE experiments SET name = ${newName}, last_update_time = ${Date.now()}
      WHERE experiment_id = ${Number(experimentId)}`);
  });
}

/** Soft delete or restore; MLflow moves every run of the experiment along with it. */
export async function setExperimentLifecycle(
  db: Database,
  experimentId: string,
  stage: LifecycleStage,
): Promise<void> {
  await db.transaction(async (tx) => {
    await experimentById(tx, experimentId);
    const now = Date.now();
    const id = Number(experimentId);
    await tx.run(sql`
      UPDATE experiments SET lifecycle_stage = ${stage}, last_update_time = ${now}
      WHERE experiment_id = ${id}`);
    await tx.run(sql`
      UPDATE runs SET lifecycle_stage = ${stage},
        deleted_time = ${stage === "deleted" ? now : null}
      WHERE experiment_id = ${id}`);
  });
}

export async function setExperimentTag(db: Database, experimentId: string, tag: Tag): Promise<void> {
  await db.transaction(async (tx) => {
    await activeExperiment(tx, experimentId);
    await upsertExperimentTag(tx, Number(experimentId), tag);
  });
}

export async function deleteExperimentTag(db: Database, experimentId: string, key: string): Promise<void> {
  await db.transaction(async (tx) => {
    await activeExperiment(tx, experimentId);
    const deleted = await tx.run(sql`
      DELETE FROM experiment_tags WHERE experiment_id = ${Number(experimentId)} AND "key" = ${key}`);
    if (deleted === 0) {
      throw notFound(`No tag with name: ${key} in experiment with id ${experimentId}`);
    }
  });
}
