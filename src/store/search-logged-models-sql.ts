/**
 * search-logged-models compiled to one parameterized SELECT of model ids in MLflow's order.
 *
 * Each metric, param and tag clause is a semi-join (IN / EXISTS) rather than MLflow's join, so a
 * model matching several metric rows counts once and LIMIT/OFFSET page over models
 * (MLflow pages over joined rows and can drop models without a token, spec §2.3).
 * A metric order key is the model's latest row of that name (newest timestamp, then step),
 * restricted to the order entry's dataset; NULLs sort last in both directions, as MLflow does.
 */

import type { LoggedModelClause, LoggedModelColumn, LoggedModelOrderKey } from "../search/logged-models.ts";
import type { DatasetFilter, SearchLoggedModels } from "./logged-model-types.ts";
import { and, compareList, compareNumber, compareString, or, page, textOrder } from "./search-compare.ts";
import { castDouble, castText, type Dialect, join, list, nullsLast, raw, sql, type Sql } from "./db/sql.ts";

/** Integer columns MLflow compares with the filter's text (`status = '2'`). */
const INTEGER_COLUMNS = new Set<LoggedModelColumn>(["experiment_id", "status"]);

function column(key: LoggedModelColumn): Sql {
  // `key` comes from the parser's fixed column list, never from the request text.
  return raw(`m.${key}`);
}

function datasetMatch(datasets: readonly DatasetFilter[]): Sql {
  return or(
    datasets.map((d) =>
      d.datasetDigest === undefined
        ? sql`x.dataset_name = ${d.datasetName}`
        : sql`(x.dataset_name = ${d.datasetName} AND x.dataset_digest = ${d.datasetDigest})`,
    ),
  );
}

function clauseSql(c: LoggedModelClause, datasets: readonly DatasetFilter[], dialect: Dialect): Sql {
  switch (c.entity) {
    case "metric": {
      const onDatasets = datasets.length > 0 ? sql` AND ${datasetMatch(datasets)}` : sql``;
      const test = sql`x.metric_name = ${c.key} AND ${compareNumber(sql`x.metric_value`, c.predicate, dialect)}${onDatasets}`;
      // PostgreSQL answers the semi-join with one hash of the matching rows; SQLite is faster
      // probing each model's rows through the fml_ index.
      return dialect === "postgresql"
        ? sql`m.model_id IN (SELECT x.model_id FROM logged_model_metrics x WHERE ${test})`
        : sql`EXISTS (SELECT 1 FROM logged_model_metrics x WHERE x.model_id = m.model_id AND ${test})`;
    }
    case "param":
    case "tag": {
      const [table, key, value] =
        c.entity === "param"
          ? ["logged_model_params", "param_key", "param_value"]
          : ["logged_model_tags", "tag_key", "tag_value"];
      const p = c.predicate;
      const test = p.kind === "list" ? compareList(raw(`x.${value}`), p, dialect) : compareString(raw(`x.${value}`), p, dialect);
      return sql`EXISTS (SELECT 1 FROM ${raw(table)} x WHERE x.model_id = m.model_id AND ${raw(`x.${key}`)} = ${c.key} AND ${test})`;
    }
    case "attribute": {
      const p = c.predicate;
      if (p.kind === "number") {
        // A bound beyond 2^53 (1e23) is no bigint for PostgreSQL: compare as doubles then.
        const col = Number.isSafeInteger(p.value) ? column(c.key) : castDouble(dialect, column(c.key));
        return compareNumber(col, p, dialect);
      }
      const col = INTEGER_COLUMNS.has(c.key) ? castText(dialect, column(c.key)) : column(c.key);
      return p.kind === "list" ? compareList(col, p, dialect) : compareString(col, p, dialect);
    }
  }
}

/**
 * A model's latest value of one metric (newest timestamp, then step), per database as each is
 * fastest with its fml_ index. Ordering a page of 100 of 10,000 models by a metric: PostgreSQL
 * took ~100 ms with a lookup per model and ~40 ms with one DISTINCT ON pass over the metric's
 * rows; SQLite ~25 ms with the lookup per model (a window-function join was slower there).
 */
function latestMetric(key: LoggedModelOrderKey & { entity: "metric" }, i: number, dialect: Dialect): { join?: Sql; value: Sql } {
  const filters = [sql`x.metric_name = ${key.key}`];
  if (key.datasetName !== undefined) filters.push(sql`x.dataset_name = ${key.datasetName}`);
  if (key.datasetDigest !== undefined) filters.push(sql`x.dataset_digest = ${key.datasetDigest}`);
  if (dialect !== "postgresql") {
    return {
      value: sql`(SELECT x.metric_value FROM logged_model_metrics x WHERE x.model_id = m.model_id AND ${join(filters, " AND ")}
        ORDER BY x.metric_timestamp_ms DESC, x.metric_step DESC LIMIT 1)`,
    };
  }
  const table = raw(`l${i}`);
  return {
    join: sql` LEFT JOIN (SELECT DISTINCT ON (x.model_id) x.model_id, x.metric_value FROM logged_model_metrics x
      WHERE ${join(filters, " AND ")} ORDER BY x.model_id, x.metric_timestamp_ms DESC, x.metric_step DESC) ${table}
      ON ${table}.model_id = m.model_id`,
    value: sql`${table}.metric_value`,
  };
}

export function searchLoggedModelIdsSql(q: SearchLoggedModels, dialect: Dialect): Sql {
  const experimentIds = q.experimentIds.map(Number);
  const where = [
    sql`m.lifecycle_stage <> 'deleted'`,
    sql`m.experiment_id IN ${list(experimentIds)}`,
    ...q.filter.map((c) => clauseSql(c, q.datasets, dialect)),
  ];
  if (q.datasets.length > 0 && !q.filter.some((c) => c.entity === "metric")) {
    where.push(sql`EXISTS (SELECT 1 FROM logged_model_metrics x WHERE x.model_id = m.model_id AND ${datasetMatch(q.datasets)})`);
  }

  const selected: Sql[] = [sql`m.model_id`, sql`m.creation_timestamp_ms AS o_created`];
  const joins: Sql[] = [];
  const order: Sql[] = [];
  q.orderBy.forEach((key, i) => {
    const alias = raw(`o${i}`);
    if (key.entity === "metric") {
      const latest = latestMetric(key, i, dialect);
      if (latest.join) joins.push(latest.join);
      selected.push(sql`${latest.value} AS ${alias}`);
    } else {
      const col = column(key.key);
      selected.push(sql`${INTEGER_COLUMNS.has(key.key) || key.key.endsWith("_ms") ? col : textOrder(col, dialect)} AS ${alias}`);
    }
    // NULLs last in both directions, as MLflow's CASE does; one reference to the key, so SQLite
    // evaluates a metric lookup once per model (58 -> 25 ms for 10,000 models).
    order.push(nullsLast(dialect, alias, key.ascending ? "ASC" : "DESC"));
  });
  if (!q.orderBy.some((k) => k.entity === "attribute" && k.key === "creation_timestamp_ms")) {
    order.push(sql`o_created DESC`);
  }
  // Not in MLflow: a last tie-breaker so pages never overlap or skip.
  order.push(sql`model_id`);

  return sql`SELECT model_id FROM (SELECT ${join(selected, ", ")} FROM logged_models m${join(joins, "")} WHERE ${and(where)}) t
    ORDER BY ${join(order, ", ")} ${page(q.limit + 1, q.offset)}`;
}
