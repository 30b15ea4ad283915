/**
 * Model registry searches compiled to parameterized SELECTs: registered model names, and
 * (name, version) pairs of model versions, in MLflow's order.
 *
 * Like MLflow, prompts (registered models / versions tagged `mlflow.prompt.is_prompt = 'true'`)
 * are left out unless the filter asks for them (`tags.mlflow.prompt.is_prompt = 'true'` or
 * `!= 'false'`); when left out, clauses on that tag are dropped. Soft-deleted versions (stage
 * `Deleted_Internal`) are never returned.
 */

import type {
  ModelVersionClause,
  ModelVersionFilter,
  ModelVersionOrderKey,
  RegisteredModelClause,
  RegisteredModelFilter,
  RegisteredModelOrderKey,
} from "../search/ast.ts";
import { and, compareList, compareNumber, compareString, page, textOrder } from "./search-compare.ts";
import { type Dialect, join, nullsLast, raw, sql, type Sql } from "./db/sql.ts";
import { DELETED_INTERNAL } from "./common.ts";

export const IS_PROMPT_TAG = "mlflow.prompt.is_prompt";

export interface RegisteredModelSearchQuery {
  filter: RegisteredModelFilter;
  orderBy: RegisteredModelOrderKey[];
  limit: number;
  offset: number;
  workspace?: string;
}

export interface ModelVersionSearchQuery {
  filter: ModelVersionFilter;
  orderBy: ModelVersionOrderKey[];
  limit: number;
  offset: number;
  workspace?: string;
}

type TagClause = { entity: "tag"; key: string; predicate: { comparator: string; value: string } };

/** MLflow's `_is_querying_prompt`: the first clause on the prompt tag decides. */
function queriesPrompts(filter: readonly (RegisteredModelClause | ModelVersionClause)[]): boolean {
  const clause = filter.find((c): c is TagClause & typeof c => c.entity === "tag" && c.key === IS_PROMPT_TAG);
  if (!clause) return false;
  const { comparator, value } = clause.predicate;
  return (comparator === "=" && value.toLowerCase() === "true") || (comparator === "!=" && value.toLowerCase() === "false");
}

function withoutPromptClauses<C extends RegisteredModelClause | ModelVersionClause>(filter: readonly C[]): C[] {
  return filter.filter((c) => !(c.entity === "tag" && c.key === IS_PROMPT_TAG));
}

// --- registered models ------------------------------------------------------------------------

const MODEL_COLUMNS = {
  name: "rm.name",
  last_updated_timestamp: "rm.last_updated_time",
  creation_timestamp: "rm.creation_time",
} as const;

function modelClauseSql(c: RegisteredModelClause, dialect: Dialect): Sql {
  if (c.entity === "attribute") return compareString(raw(MODEL_COLUMNS.name), c.predicate, dialect);
  return sql`EXISTS (SELECT 1 FROM registered_model_tags t WHERE t.workspace = rm.workspace AND t.name = rm.name AND t."key" = ${c.key} AND ${compareString(sql`t.value`, c.predicate, dialect)})`;
}

export function searchRegisteredModelsSql(q: RegisteredModelSearchQuery, dialect: Dialect): Sql {
  const where: Sql[] = [];
  if (q.workspace !== undefined) where.push(sql`rm.workspace = ${q.workspace}`);
  let filter = q.filter;
  if (!queriesPrompts(filter)) {
    filter = withoutPromptClauses(filter);
    where.push(
      sql`NOT EXISTS (SELECT 1 FROM registered_model_tags p WHERE p.workspace = rm.workspace AND p.name = rm.name AND p."key" = ${IS_PROMPT_TAG} AND p.value = ${"true"})`,
    );
  }
  where.push(...filter.map((c) => modelClauseSql(c, dialect)));

  const keys = [...q.orderBy];
  if (!keys.some((k) => k.key === "name")) keys.push({ key: "name", ascending: true });
  const terms = keys.map((k) => {
    const column = raw(MODEL_COLUMNS[k.key]);
    return nullsLast(dialect, k.key === "name" ? textOrder(column, dialect) : column, k.ascending ? "ASC" : "DESC");
  });
  return sql`SELECT rm.name FROM registered_models rm WHERE ${and(where)} ORDER BY ${join(terms, ", ")} ${page(q.limit, q.offset)}`;
}

// --- model versions ---------------------------------------------------------------------------

const VERSION_COLUMNS = {
  name: "mv.name",
  version_number: "mv.version",
  run_id: "mv.run_id",
  source_path: "mv.source",
  creation_timestamp: "mv.creation_time",
  last_updated_timestamp: "mv.last_updated_time",
} as const;

const DEFAULT_VERSION_ORDER: ModelVersionOrderKey[] = [
  { key: "last_updated_timestamp", ascending: false },
  { key: "name", ascending: true },
  { key: "version_number", ascending: false },
];

function versionClauseSql(c: ModelVersionClause, dialect: Dialect): Sql {
  if (c.entity === "tag") {
    return sql`EXISTS (SELECT 1 FROM model_version_tags t WHERE t.workspace = mv.workspace AND t.name = mv.name AND t.version = mv.version AND t."key" = ${c.key} AND ${compareString(sql`t.value`, c.predicate, dialect)})`;
  }
  const column = raw(VERSION_COLUMNS[c.key]);
  const p = c.predicate;
  if (p.kind === "number") return compareNumber(column, p, dialect);
  if (p.kind === "list") return compareList(column, p, dialect);
  return compareString(column, p, dialect);
}

export function searchModelVersionsSql(q: ModelVersionSearchQuery, dialect: Dialect): Sql {
  const where = [sql`(mv.current_stage IS NULL OR mv.current_stage <> ${DELETED_INTERNAL})`];
  if (q.workspace !== undefined) where.push(sql`mv.workspace = ${q.workspace}`);
  let filter = q.filter;
  if (!queriesPrompts(filter)) {
    filter = withoutPromptClauses(filter);
    // As in MLflow: a prompt tag on any version of a model hides all of that model's versions.
    where.push(
      sql`NOT EXISTS (SELECT 1 FROM model_version_tags p WHERE p.workspace = mv.workspace AND p.name = mv.name AND p."key" = ${IS_PROMPT_TAG} AND p.value = ${"true"})`,
    );
  }
  where.push(...filter.map((c) => versionClauseSql(c, dialect)));

  const keys = q.orderBy.length ? [...q.orderBy] : [...DEFAULT_VERSION_ORDER];
  if (!keys.some((k) => k.key === "name")) keys.push({ key: "name", ascending: true });
  if (!keys.some((k) => k.key === "version_number")) keys.push({ key: "version_number", ascending: false });
  const terms = keys.map((k) => {
    const column = raw(VERSION_COLUMNS[k.key]);
    return nullsLast(dialect, k.key === "name" ? textOrder(column, dialect) : column, k.ascending ? "ASC" : "DESC");
  });
  return sql`SELECT mv.name, mv.version FROM model_versions mv WHERE ${and(where)} ORDER BY ${join(terms, ", ")} ${page(q.limit, q.offset)}`;
}
