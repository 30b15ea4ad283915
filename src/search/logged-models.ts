/**
 * search-logged-models: MLflow 3's filter grammar for logged models (comparisons joined by AND on
 * attributes, `metrics.`, `params.`, `tags.`) and its structured order_by, validated into a small
 * AST with MLflow's messages (mlflow/utils/search_logged_model_utils.py).
 *
 * Where MLflow answers 500 to a caller mistake (an unknown attribute, a non-numeric value for a
 * numeric key) this answers 400 naming the problem.
 */

import type { ListPredicate, NumberPredicate, StringPredicate } from "./ast.ts";
import { SearchError } from "./errors.ts";
import { pyList, pyStr, pyTuple } from "./py-repr.ts";
import { parseFilterSyntax, type RawComparison, type RawExpr, type RawValue } from "./syntax.ts";
import { isOneOf, LIST_COMPARATORS, NUMERIC_COMPARATORS, STRING_COMPARATORS } from "./values.ts";

/** `logged_models` columns compared as text (status and experiment_id are integers MLflow compares as given). */
export const LOGGED_MODEL_STRING_COLUMNS = [
  "model_id",
  "experiment_id",
  "name",
  "artifact_location",
  "status",
  "lifecycle_stage",
  "model_type",
  "source_run_id",
  "status_message",
] as const;
export const LOGGED_MODEL_NUMERIC_COLUMNS = ["creation_timestamp_ms", "last_updated_timestamp_ms"] as const;

export type LoggedModelStringColumn = (typeof LOGGED_MODEL_STRING_COLUMNS)[number];
export type LoggedModelNumericColumn = (typeof LOGGED_MODEL_NUMERIC_COLUMNS)[number];
export type LoggedModelColumn = LoggedModelStringColumn | LoggedModelNumericColumn;

export type LoggedModelClause =
  | { entity: "attribute"; key: LoggedModelStringColumn; predicate: StringPredicate | ListPredicate }
  | { entity: "attribute"; key: LoggedModelNumericColumn; predicate: NumberPredicate }
  | { entity: "metric"; key: string; predicate: NumberPredicate }
  | { entity: "param" | "tag"; key: string; predicate: StringPredicate | ListPredicate };

export type LoggedModelOrderKey =
  | { entity: "attribute"; key: LoggedModelColumn; ascending: boolean }
  | { entity: "metric"; key: string; ascending: boolean; datasetName?: string; datasetDigest?: string };

/** The `order_by` objects of a SearchLoggedModels request, as sent. */
export interface LoggedModelOrderByInput {
  fieldName: string;
  ascending: boolean;
  datasetName?: string;
  datasetDigest?: string;
}

const ALIASES = new Map<string, LoggedModelColumn>([
  ["creation_time", "creation_timestamp_ms"],
  ["creation_timestamp", "creation_timestamp_ms"],
  ["last_updated_timestamp", "last_updated_timestamp_ms"],
]);
const ENTITIES = new Map<string, LoggedModelClause["entity"]>([
  ["attributes", "attribute"],
  ["metrics", "metric"],
  ["params", "param"],
  ["tags", "tag"],
]);
const ALL_STRING_OPS = [...STRING_COMPARATORS, ...LIST_COMPARATORS];

function notAndList(filter: string): SearchError {
  return new SearchError(
    `Invalid filter string: ${pyStr(filter)}. Expected a list of comparisons separated by 'AND' ` +
      "(e.g. 'metrics.loss > 0.1 AND params.lr = 0.01').",
  );
}

function comparisons(expr: RawExpr, filter: string): RawComparison[] {
  if (expr.type === "comparison") return [expr];
  if (expr.type === "or") throw notAndList(filter);
  return expr.operands.flatMap((operand) => comparisons(operand, filter));
}

/** MLflow strips single quotes only: `name = "a"` compares with `"a"` quotes included. */
function textValue(v: RawValue): string {
  if (v.kind === "string") return v.text.startsWith("'") ? v.value : v.text;
  return v.text;
}

function column(key: string): LoggedModelColumn {
  const name = ALIASES.get(key) ?? key;
  if (isOneOf(name, LOGGED_MODEL_STRING_COLUMNS) || isOneOf(name, LOGGED_MODEL_NUMERIC_COLUMNS)) return name;
  throw new SearchError(
    `Invalid attribute key '${key}' specified. Valid keys are ` +
      `${pyList([...LOGGED_MODEL_STRING_COLUMNS, ...LOGGED_MODEL_NUMERIC_COLUMNS, ...ALIASES.keys()])}`,
  );
}

function clause(c: RawComparison): LoggedModelClause {
  const { identifier } = c;
  const prefix = identifier.entity;
  const entity = prefix === undefined ? "attribute" : ENTITIES.get(prefix);
  if (!entity) {
    throw new SearchError(`Invalid entity type: ${pyStr(prefix ?? "")}. Expected one of ${pyList([...ENTITIES.keys()])}.`);
  }
  const key = entity === "attribute" ? column(identifier.key) : identifier.key;
  const label = `${prefix ?? "attributes"}.${identifier.key}`;
  const numeric = entity === "metric" || isOneOf(key, LOGGED_MODEL_NUMERIC_COLUMNS);
  const comparator = c.comparator;
  if (numeric ? !isOneOf(comparator, NUMERIC_COMPARATORS) : !isOneOf(comparator, ALL_STRING_OPS)) {
    throw new SearchError(
      `Invalid comparison operator for ${label}: ${pyStr(comparator)}. Expected one of ${pyTuple(ALL_STRING_OPS)}.`,
    );
  }
  const v = c.value;
  if (numeric) {
    const numeric = v.kind === "string" ? v.value : v.text;
    const value = v.kind === "number" ? v.value : v.kind !== "list" && numeric.trim() !== "" ? Number(numeric) : NaN;
    if (!Number.isFinite(value) || !isOneOf(comparator, NUMERIC_COMPARATORS)) {
      throw new SearchError(`Expected a numeric value for ${label}. Got value ${v.text}`);
    }
    const predicate: NumberPredicate = { kind: "number", comparator, value };
    return entity === "metric"
      ? { entity, key, predicate }
      : { entity: "attribute", key: key as LoggedModelNumericColumn, predicate };
  }
  let predicate: StringPredicate | ListPredicate;
  if (isOneOf(comparator, LIST_COMPARATORS)) {
    const items = v.kind === "list" ? v.items : [v];
    predicate = { kind: "list", comparator, values: items.map(textValue) };
  } else if (isOneOf(comparator, STRING_COMPARATORS) && v.kind !== "list" && v.kind !== "none") {
    predicate = { kind: "string", comparator, value: textValue(v) };
  } else {
    throw new SearchError(`Invalid value ${v.text} for ${label} with comparator ${pyStr(comparator)}.`);
  }
  if (entity === "attribute") return { entity, key: key as LoggedModelStringColumn, predicate };
  return { entity: entity as "param" | "tag", key, predicate };
}

/** Parses a logged-model filter; none (or whitespace) gives no clauses: every model. */
export function parseLoggedModelFilter(filter: string | undefined): LoggedModelClause[] {
  if (!filter || filter.trim() === "") return [];
  let expr: RawExpr | undefined;
  try {
    expr = parseFilterSyntax(filter, { allowOr: true });
  } catch (error) {
    if (!(error instanceof SearchError)) throw error;
    throw new SearchError(`Invalid filter string: ${pyStr(filter)}. ${error.message}`);
  }
  return expr ? comparisons(expr, filter).map(clause) : [];
}

export function parseLoggedModelOrderBy(orderBy: readonly LoggedModelOrderByInput[]): LoggedModelOrderKey[] {
  return orderBy.map((entry) => {
    const { fieldName, ascending } = entry;
    const dot = fieldName.indexOf(".");
    if (dot < 0) {
      const name = ALIASES.get(fieldName) ?? fieldName;
      if (!isOneOf(name, LOGGED_MODEL_STRING_COLUMNS) && !isOneOf(name, LOGGED_MODEL_NUMERIC_COLUMNS)) {
        throw new SearchError(`Invalid order by field name: ${fieldName}`);
      }
      return { entity: "attribute", key: name, ascending };
    }
    if (fieldName.slice(0, dot) !== "metrics") {
      throw new SearchError(`Invalid order by field name: ${fieldName}. Only metrics are supported.`);
    }
    return {
      entity: "metric",
      key: fieldName.slice(dot + 1),
      ascending,
      datasetName: entry.datasetName || undefined,
      datasetDigest: entry.datasetDigest || undefined,
    };
  });
}
