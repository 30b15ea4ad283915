/**
 * search-runs: filter and order_by grammars (MLflow spec §10.1, §10.2), validated into the AST of
 * ast.ts. Beyond MLflow, run filters accept OR and parentheses (AND binds tighter); every filter
 * MLflow accepts keeps its meaning.
 */

import type {
  DatasetKey,
  ListPredicate,
  NullComparator,
  RunClause,
  RunFilter,
  RunNumericAttribute,
  RunOrderKey,
  RunStringAttribute,
  StringPredicate,
} from "./ast.ts";
import { SearchError } from "./errors.ts";
import { pyList } from "./py-repr.ts";
import { parseFilterSyntax, parseOrderBySyntax, type RawComparison, type RawExpr, type RawIdentifier } from "./syntax.ts";
import {
  invalidComparator,
  isOneOf,
  LIST_COMPARATORS,
  listMismatch,
  NUMERIC_COMPARATORS,
  quotedString,
  STRING_COMPARATORS,
  stringList,
} from "./values.ts";

type RunEntity = "metric" | "param" | "tag" | "attribute" | "dataset";

const ENTITIES = new Map<string, RunEntity>([
  ["metric", "metric"],
  ["metrics", "metric"],
  ["parameter", "param"],
  ["parameters", "param"],
  ["param", "param"],
  ["params", "param"],
  ["tag", "tag"],
  ["tags", "tag"],
  ["attribute", "attribute"],
  ["attributes", "attribute"],
  ["attr", "attribute"],
  ["run", "attribute"],
  ["dataset", "dataset"],
  ["datasets", "dataset"],
]);
const ENTITY_NAMES = ["metric", "parameter", "tag", "attribute", "dataset"];

const STRING_ATTRIBUTES: readonly RunStringAttribute[] = ["run_id", "run_name", "status", "user_id", "artifact_uri"];
const NUMERIC_ATTRIBUTES: readonly RunNumericAttribute[] = ["start_time", "end_time"];
const ALIASES = new Map<string, RunStringAttribute | RunNumericAttribute>([
  ["created", "start_time"],
  ["Created", "start_time"],
  ["run name", "run_name"],
  ["Run name", "run_name"],
  ["Run Name", "run_name"],
]);
const SEARCHABLE_KEYS = [...STRING_ATTRIBUTES, ...NUMERIC_ATTRIBUTES, ...ALIASES.keys()];
const ORDERABLE_KEYS = [...STRING_ATTRIBUTES, ...NUMERIC_ATTRIBUTES, "created", "Created"];
const DATASET_KEYS: readonly DatasetKey[] = ["name", "digest", "context"];
const NULL_COMPARATORS: readonly NullComparator[] = ["IS NULL", "IS NOT NULL"];

interface Resolved {
  entity: RunEntity;
  key: string;
}

/** Entity and key of an identifier; attribute aliases are resolved by the callers. */
function resolve(identifier: RawIdentifier, validAttributes: readonly string[]): Resolved {
  const name = identifier.entity ?? "attribute";
  const entity = ENTITIES.get(name);
  if (!entity) {
    throw new SearchError(`Invalid entity type '${name}'. Valid values are ${pyList(ENTITY_NAMES)}`);
  }
  const key = identifier.key;
  if (entity === "attribute" && !validAttributes.includes(key)) {
    throw new SearchError(`Invalid attribute key '${key}' specified. Valid keys are '${pyList(validAttributes)}'`);
  }
  if (entity === "dataset" && !isOneOf(key, DATASET_KEYS)) {
    throw new SearchError(`Invalid dataset key '${key}' specified. Valid keys are '${pyList(DATASET_KEYS)}'`);
  }
  return { entity, key };
}

function numberValue(c: RawComparison, message: string): number {
  if (c.value.kind !== "number") throw new SearchError(message);
  return c.value.value;
}

function runClause(c: RawComparison): RunClause {
  const { entity, key } = resolve(c.identifier, SEARCHABLE_KEYS);
  const comparator = c.comparator;
  const v = c.value;

  if (entity === "metric") {
    const message = `Expected numeric value type for metric. Found ${v.text}`;
    if (v.kind !== "none" && v.kind !== "number") throw new SearchError(message);
    if (!isOneOf(comparator, NUMERIC_COMPARATORS)) throw invalidComparator(comparator, NUMERIC_COMPARATORS);
    return { entity, key, predicate: { kind: "number", comparator, value: numberValue(c, message) } };
  }

  if (entity === "param" || entity === "tag") {
    const valid = [...STRING_COMPARATORS, ...NULL_COMPARATORS];
    if (v.kind === "none") {
      if (!isOneOf(comparator, NULL_COMPARATORS)) throw invalidComparator(comparator, valid);
      return { entity, key, predicate: { kind: "null", comparator } };
    }
    const label = entity === "param" ? "parameter" : "tag";
    const value = quotedString(
      v,
      () => new SearchError(`Expected a quoted string value for ${label} (e.g. 'my-value'). Got value ${v.text}`),
    );
    if (!isOneOf(comparator, STRING_COMPARATORS)) throw invalidComparator(comparator, valid);
    return { entity, key, predicate: { kind: "string", comparator, value } };
  }

  if (entity === "attribute") {
    const attribute = ALIASES.get(key) ?? key;
    if (isOneOf(attribute, NUMERIC_ATTRIBUTES)) {
      const message = `Expected numeric value type for numeric attribute: ${key}. Found ${v.text}`;
      if (v.kind !== "none" && v.kind !== "number") throw new SearchError(message);
      if (!isOneOf(comparator, NUMERIC_COMPARATORS)) throw invalidComparator(comparator, NUMERIC_COMPARATORS);
      return { entity, key: attribute, predicate: { kind: "number", comparator, value: numberValue(c, message) } };
    }
    if (!isOneOf(attribute, STRING_ATTRIBUTES)) throw new SearchError(`Invalid attribute key '${key}' specified.`);
    if (v.kind === "list" && attribute !== "run_id") {
      throw new SearchError("Only the 'run_id' attribute supports comparison with a list of quoted string values.");
    }
    return { entity, key: attribute, predicate: stringOrListPredicate(c, "attributes") };
  }

  if (!isOneOf(key, DATASET_KEYS)) throw new SearchError(`Invalid dataset key '${key}' specified.`);
  return { entity: "dataset", key, predicate: stringOrListPredicate(c, "dataset attributes") };
}

function stringOrListPredicate(c: RawComparison, label: string): StringPredicate | ListPredicate {
  const v = c.value;
  const comparator = c.comparator;
  const valid = [...STRING_COMPARATORS, ...LIST_COMPARATORS];
  if (v.kind === "list") {
    const values = stringList(v);
    if (!isOneOf(comparator, valid)) throw invalidComparator(comparator, valid);
    if (!isOneOf(comparator, LIST_COMPARATORS)) throw listMismatch(c);
    return { kind: "list", comparator, values };
  }
  if (v.kind === "number") throw new SearchError(`Expected a quoted string value for ${label}. Got value ${v.text}`);
  const value = v.kind === "none" ? "" : quotedString(v, () => new SearchError(`Invalid value ${v.text}`));
  if (!isOneOf(comparator, valid)) throw invalidComparator(comparator, valid);
  if (!isOneOf(comparator, STRING_COMPARATORS)) throw listMismatch(c);
  return { kind: "string", comparator, value };
}

function toRunFilter(expr: RawExpr): RunFilter {
  if (expr.type === "comparison") return { type: "clause", clause: runClause(expr) };
  return { type: expr.type, operands: expr.operands.map(toRunFilter) };
}

/** Parses a search-runs filter. No filter (or only whitespace) gives an empty AND: every run. */
export function parseRunFilter(filter: string | undefined): RunFilter {
  const expr = filter ? parseFilterSyntax(filter, { allowOr: true }) : undefined;
  return expr ? toRunFilter(expr) : { type: "and", operands: [] };
}

/** Parses search-runs order_by entries; tie-breakers are added by the SQL builder, not here. */
export function parseRunOrderBy(orderBy: readonly string[] | undefined): RunOrderKey[] {
  const seen = new Set<string>();
  return (orderBy ?? []).map((text) => {
    const { identifier, ascending } = parseOrderBySyntax(text);
    const { entity, key } = resolve(identifier, ORDERABLE_KEYS);
    let orderKey: RunOrderKey;
    if (entity === "dataset") {
      throw new SearchError(
        `Invalid identifier type 'dataset' in order_by clause '${text}'. ` +
          "Order by metrics, params, tags or attributes.",
      );
    } else if (entity === "attribute") {
      const attribute = ALIASES.get(key) ?? key;
      if (!isOneOf(attribute, STRING_ATTRIBUTES) && !isOneOf(attribute, NUMERIC_ATTRIBUTES)) {
        throw new SearchError(`Invalid attribute key '${key}' specified.`);
      }
      orderKey = { entity, key: attribute, ascending };
    } else {
      orderKey = { entity, key, ascending };
    }
    const id = `${orderKey.entity}\u0000${orderKey.key}`;
    if (seen.has(id)) throw new SearchError(`\`order_by\` contains duplicate fields: ${pyList(orderBy ?? [])}`);
    seen.add(id);
    return orderKey;
  });
}
