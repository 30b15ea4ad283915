/**
 * search-experiments compiled to one parameterized SELECT of experiment_id values in order.
 * Default order creation_time DESC, experiment_id ASC; experiment_id ASC is always the last
 * tie-breaker. NULL timestamps sort last in either direction on every database.
 */

import type { ExperimentClause, ExperimentFilter, ExperimentOrderKey } from "../search/ast.ts";
import { and, compareNumber, compareString, page, textOrder } from "./search-compare.ts";
import { lifecycleStages } from "./search-runs-sql.ts";
import type { ViewType } from "./types.ts";
import { type Dialect, join, list, nullsLast, raw, sql, type Sql } from "./db/sql.ts";

export interface ExperimentSearchQuery {
  viewType: ViewType;
  filter: ExperimentFilter;
  orderBy: ExperimentOrderKey[];
  limit: number;
  offset: number;
  /** Restricts to one workspace when given (the schema's workspace column). */
  workspace?: string;
}

const COLUMNS = {
  name: "e.name",
  experiment_id: "e.experiment_id",
  creation_time: "e.creation_time",
  last_update_time: "e.last_update_time",
} as const;

const DEFAULT_ORDER: ExperimentOrderKey[] = [
  { key: "creation_time", ascending: false },
  { key: "experiment_id", ascending: true },
];

function clauseSql(c: ExperimentClause, dialect: Dialect): Sql {
  if (c.entity === "tag") {
    return sql`EXISTS (SELECT 1 FROM experiment_tags t WHERE t.experiment_id = e.experiment_id AND t."key" = ${c.key} AND ${compareString(sql`t.value`, c.predicate, dialect)})`;
  }
  if (c.key === "name") return compareString(raw(COLUMNS.name), c.predicate, dialect);
  return compareNumber(raw(COLUMNS[c.key]), c.predicate, dialect);
}

export function searchExperimentsSql(q: ExperimentSearchQuery, dialect: Dialect): Sql {
  const where = [sql`e.lifecycle_stage IN ${list(lifecycleStages(q.viewType))}`];
  if (q.workspace !== undefined) where.push(sql`e.workspace = ${q.workspace}`);
  where.push(...q.filter.map((c) => clauseSql(c, dialect)));

  const keys = q.orderBy.length ? [...q.orderBy] : [...DEFAULT_ORDER];
  if (!keys.some((k) => k.key === "experiment_id")) keys.push({ key: "experiment_id", ascending: true });
  const terms = keys.map((k) => {
    const column = raw(COLUMNS[k.key]);
    return nullsLast(dialect, k.key === "name" ? textOrder(column, dialect) : column, k.ascending ? "ASC" : "DESC");
  });
  return sql`SELECT e.experiment_id FROM experiments e WHERE ${and(where)} ORDER BY ${join(terms, ", ")} ${page(q.limit, q.offset)}`;
}
