/**
 * search-traces: MLflow's trace filter and order_by grammars (spec §3.6). AND only. Identifiers
 * are `<prefix>.<key>` or a bare attribute; `name`, `run_id` and `prompt` map to a tag, the
 * source-run metadata and prompt links as in MLflow's SearchTraceUtils.
 */

import type {
  ListPredicate,
  NullPredicate,
  NumberPredicate,
  RegexPredicate,
  StringPredicate,
  TraceClause,
  TraceFilter,
  TraceOrderKey,
} from "./ast.ts";
import { SearchError } from "./errors.ts";
import { pyList } from "./py-repr.ts";
import { parseFilterSyntax, parseOrderBySyntax, type RawComparison, type RawValue } from "./syntax.ts";
import { andedComparisons, invalidComparator, isOneOf, NUMERIC_COMPARATORS, quotedString, stringList } from "./values.ts";

const SEARCH_KEYS = [
  "client_request_id",
  "end_time",
  "end_time_ms",
  "execution_time",
  "execution_time_ms",
  "name",
  "prompt",
  "request_id",
  "run_id",
  "status",
  "text",
  "timestamp",
  "timestamp_ms",
] as const;
const ORDER_KEYS = [
  "end_time",
  "end_time_ms",
  "execution_time",
  "execution_time_ms",
  "experiment_id",
  "name",
  "request_id",
  "run_id",
  "status",
  "timestamp",
  "timestamp_ms",
] as const;

const IDENTIFIERS = new Map<string, string>([
  ["attribute", "attribute"],
  ["attributes", "attribute"],
  ["trace", "attribute"],
  ["tag", "tag"],
  ["tags", "tag"],
  ["metadata", "metadata"],
  ["request_metadata", "metadata"],
  ["span", "span"],
  ["feedback", "feedback"],
  ["expectation", "expectation"],
  ["issue", "issue"],
]);

const TAG_COMPARATORS = ["!=", "=", "ILIKE", "IS NOT NULL", "IS NULL", "LIKE", "RLIKE"] as const;
const STRING_ATTRIBUTE_COMPARATORS = ["!=", "=", "ILIKE", "IN", "LIKE", "NOT IN", "RLIKE"] as const;
const NUMERIC_ALIASES: Record<string, "timestamp_ms" | "execution_time_ms" | "end_time_ms"> = {
  timestamp: "timestamp_ms",
  timestamp_ms: "timestamp_ms",
  execution_time: "execution_time_ms",
  execution_time_ms: "execution_time_ms",
  end_time: "end_time_ms",
  end_time_ms: "end_time_ms",
};

function entityOf(name: string | undefined): string {
  if (name === undefined) return "attribute";
  const entity = IDENTIFIERS.get(name);
  if (!entity) {
    throw new SearchError(
      `Invalid entity type '${name}'. Valid values are ${pyList(["attribute", "expectation", "feedback", "issue", "request_metadata", "span", "tag"])}`,
    );
  }
  return entity;
}

function stringValue(c: RawComparison): string {
  return quotedString(c.value, () => new SearchError(`Expected a quoted string value for ${c.identifier.text}. Got value ${c.value.text}`));
}

type TextPredicate = StringPredicate | NullPredicate | RegexPredicate;

/** Comparators of tags, metadata and assessments: string ops, RLIKE, IS [NOT] NULL. */
function textPredicate(c: RawComparison): TextPredicate {
  const { comparator } = c;
  if (!isOneOf(comparator, TAG_COMPARATORS)) throw invalidComparator(comparator, TAG_COMPARATORS);
  if (comparator === "IS NULL" || comparator === "IS NOT NULL") return { kind: "null", comparator };
  const value = stringValue(c);
  if (comparator === "RLIKE") return { kind: "regex", value };
  return { kind: "string", comparator, value };
}

/** Comparators of string attributes and span fields: string ops, RLIKE, IN, NOT IN. */
function listablePredicate(c: RawComparison): StringPredicate | ListPredicate | RegexPredicate {
  const { comparator } = c;
  if (!isOneOf(comparator, STRING_ATTRIBUTE_COMPARATORS)) throw invalidComparator(comparator, STRING_ATTRIBUTE_COMPARATORS);
  if (comparator === "IN" || comparator === "NOT IN") {
    if (c.value.kind !== "list") throw new SearchError(`Expected a list of quoted strings for ${comparator} in '${c.text}'`);
    return { kind: "list", comparator, values: stringList(c.value) };
  }
  const value = stringValue(c);
  if (comparator === "RLIKE") return { kind: "regex", value };
  return { kind: "string", comparator, value };
}

function numberValue(v: RawValue, key: string): number {
  if (v.kind === "number") return v.value;
  if (v.kind === "string" && v.value.trim() !== "" && Number.isFinite(Number(v.value))) return Number(v.value);
  throw new SearchError(`Expected numeric value type for numeric attribute: ${key}. Found ${v.text}`);
}

function attributeClause(c: RawComparison): TraceClause {
  const key = c.identifier.key;
  if (!isOneOf(key, SEARCH_KEYS)) {
    throw new SearchError(`Invalid attribute key '${key}' specified. Valid keys are '${pyList(SEARCH_KEYS)}'`);
  }
  const numeric = NUMERIC_ALIASES[key];
  if (numeric) {
    if (!isOneOf(c.comparator, NUMERIC_COMPARATORS)) throw invalidComparator(c.comparator, NUMERIC_COMPARATORS);
    const predicate: NumberPredicate = { kind: "number", comparator: c.comparator, value: numberValue(c.value, key) };
    return { entity: "attribute", key: numeric, predicate };
  }
  switch (key) {
    case "name":
      return { entity: "tag", key: "mlflow.traceName", predicate: textPredicate(c) };
    case "run_id":
    case "prompt":
      if (c.comparator !== "=") throw invalidComparator(c.comparator, ["="]);
      return { entity: key, value: stringValue(c) };
    case "text": {
      if (c.comparator !== "LIKE") throw new SearchError(`Invalid clause(s) in filter string: '${c.text}'`);
      return { entity: "span_content", predicate: { kind: "string", comparator: "LIKE", value: stringValue(c) } };
    }
    default:
      return { entity: "attribute", key: key as "status" | "request_id" | "client_request_id", predicate: listablePredicate(c) };
  }
}

function spanClause(c: RawComparison): TraceClause {
  const key = c.identifier.key;
  if (key === "name" || key === "type" || key === "status") return { entity: "span", key, predicate: listablePredicate(c) };
  if (key.startsWith("attributes.") && key.length > "attributes.".length) {
    return { entity: "span_attribute", key: key.slice("attributes.".length), predicate: listablePredicate(c) };
  }
  if (key === "content") {
    if (c.comparator !== "LIKE" && c.comparator !== "ILIKE") {
      throw new SearchError(`span.content comparator '${c.comparator}' not one of '${pyList(["ILIKE", "LIKE"])}'`);
    }
    return { entity: "span_content", predicate: { kind: "string", comparator: c.comparator, value: stringValue(c) } };
  }
  throw new SearchError(
    `Invalid span attribute '${key}'. Supported attributes: name, status, type, attributes.<attribute_name>.`,
  );
}

function traceClause(c: RawComparison): TraceClause {
  const entity = entityOf(c.identifier.entity);
  switch (entity) {
    case "attribute":
      return attributeClause(c);
    case "tag":
    case "metadata":
    case "feedback":
    case "expectation":
      return { entity, key: c.identifier.key, predicate: textPredicate(c) };
    case "span":
      return spanClause(c);
    default:
      throw new SearchError(`Filtering by '${entity}' is not supported by fml: '${c.text}'`);
  }
}

export function parseTraceFilter(filter: string | undefined): TraceFilter {
  const expr = filter ? parseFilterSyntax(filter, { allowOr: false, allowRlike: true }) : undefined;
  return andedComparisons(expr).map(traceClause);
}

export function parseTraceOrderBy(orderBy: readonly string[] | undefined): TraceOrderKey[] {
  const keys: TraceOrderKey[] = [];
  const seen = new Set<string>();
  for (const text of orderBy ?? []) {
    const { identifier, ascending } = parseOrderBySyntax(text);
    const entity = entityOf(identifier.entity);
    let key: TraceOrderKey;
    if (entity === "tag" || entity === "metadata") {
      key = { entity, key: identifier.key, ascending };
    } else if (entity === "attribute") {
      const name = identifier.key;
      if (!isOneOf(name, ORDER_KEYS)) {
        throw new SearchError(`Invalid attribute key '${name}' specified. Valid keys are '${pyList(ORDER_KEYS)}'`);
      }
      if (name === "name") key = { entity: "tag", key: "mlflow.traceName", ascending };
      else if (name === "run_id") key = { entity: "metadata", key: "mlflow.sourceRun", ascending };
      else if (name === "end_time" || name === "end_time_ms") {
        throw new SearchError(`Ordering traces by '${name}' is not supported.`);
      } else {
        const attribute = NUMERIC_ALIASES[name] ?? name;
        key = { entity: "attribute", key: attribute as "timestamp_ms", ascending };
      }
    } else {
      throw new SearchError(`Invalid order_by entity '${entity}' in '${text}'`);
    }
    const id = `${key.entity}.${key.key}`;
    if (seen.has(id)) throw new SearchError(`\`order_by\` contains duplicate fields: ${pyList(orderBy ?? [])}`);
    seen.add(id);
    keys.push(key);
  }
  return keys;
}
