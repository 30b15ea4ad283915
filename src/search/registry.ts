/**
 * Model registry search grammars: registered models (spec §10.4) and model versions (§10.5).
 * AND only, like MLflow.
 */

import type {
  ModelVersionClause,
  ModelVersionFilter,
  ModelVersionOrderKey,
  RegisteredModelClause,
  RegisteredModelFilter,
  RegisteredModelOrderKey,
} from "./ast.ts";
import { SearchError } from "./errors.ts";
import { pyList } from "./py-repr.ts";
import { parseFilterSyntax, parseOrderBySyntax, type RawComparison } from "./syntax.ts";
import {
  andedComparisons,
  attributeOrTag,
  invalidComparatorFor,
  isOneOf,
  LIST_COMPARATORS,
  listMismatch,
  NUMERIC_COMPARATORS,
  quotedString,
  STRING_COMPARATORS,
  stringList,
  tagValue,
} from "./values.ts";

function tagClause(c: RawComparison, key: string): { entity: "tag"; key: string; predicate: { kind: "string"; comparator: (typeof STRING_COMPARATORS)[number]; value: string } } {
  const value = c.value.kind === "none" ? "" : tagValue(c.value);
  if (!isOneOf(c.comparator, STRING_COMPARATORS)) throw invalidComparatorFor("tag", c.comparator, STRING_COMPARATORS);
  return { entity: "tag", key, predicate: { kind: "string", comparator: c.comparator, value } };
}

function attributeString(c: RawComparison): string {
  const v = c.value;
  if (v.kind === "none") return "";
  if (v.kind === "list") {
    throw new SearchError("Only the 'run_id' attribute supports comparison with a list of quoted string values.");
  }
  return quotedString(
    v,
    () => new SearchError(`Expected a quoted string value or a list of quoted string values for attributes. Got value ${v.text}`),
  );
}

function orderKeys<K extends string>(
  orderBy: readonly string[] | undefined,
  valid: readonly string[],
  canonical: (key: string) => K | undefined,
): { key: K; ascending: boolean }[] {
  const seen = new Set<K>();
  return (orderBy ?? []).map((text) => {
    const { identifier, ascending } = parseOrderBySyntax(text);
    const { entity, key } = attributeOrTag(identifier, valid);
    const column = canonical(key);
    if (entity !== "attribute" || column === undefined) throw new SearchError(`Invalid order_by entity: ${entity}`);
    if (seen.has(column)) throw new SearchError(`\`order_by\` contains duplicate fields: ${pyList(orderBy ?? [])}`);
    seen.add(column);
    return { key: column, ascending };
  });
}

// --- registered models ------------------------------------------------------------------------

function registeredModelClause(c: RawComparison): RegisteredModelClause {
  const { entity, key } = attributeOrTag(c.identifier, ["name"]);
  if (entity === "tag") return tagClause(c, key);
  const value = attributeString(c);
  if (!isOneOf(c.comparator, STRING_COMPARATORS)) {
    throw invalidComparatorFor("attribute", c.comparator, STRING_COMPARATORS);
  }
  return { entity, key: "name", predicate: { kind: "string", comparator: c.comparator, value } };
}

export function parseRegisteredModelFilter(filter: string | undefined): RegisteredModelFilter {
  const expr = filter ? parseFilterSyntax(filter, { allowOr: false }) : undefined;
  return andedComparisons(expr).map(registeredModelClause);
}

const REGISTERED_MODEL_ORDER_KEYS = ["name", "timestamp", "last_updated_timestamp", "creation_timestamp"];

export function parseRegisteredModelOrderBy(orderBy: readonly string[] | undefined): RegisteredModelOrderKey[] {
  return orderKeys<RegisteredModelOrderKey["key"]>(orderBy, REGISTERED_MODEL_ORDER_KEYS, (key) =>
    key === "timestamp" ? "last_updated_timestamp" : isOneOf(key, ["name", "last_updated_timestamp", "creation_timestamp"] as const) ? key : undefined,
  );
}

// --- model versions ---------------------------------------------------------------------------

const VERSION_NUMERIC_KEYS = ["version_number", "creation_timestamp", "last_updated_timestamp"] as const;
const VERSION_SEARCH_KEYS = ["name", "run_id", "source_path", ...VERSION_NUMERIC_KEYS];

function modelVersionClause(c: RawComparison): ModelVersionClause {
  const { entity, key } = attributeOrTag(c.identifier, VERSION_SEARCH_KEYS);
  if (entity === "tag") return tagClause(c, key);
  const { comparator, value: v } = c;

  if (isOneOf(key, VERSION_NUMERIC_KEYS)) {
    // MLflow compares quoted numbers against the integer column too: `version_number = '3'`.
    let value: number | undefined;
    if (v.kind === "number") value = v.value;
    else if (v.kind === "string" && /^\s*-?\d+\s*$/.test(v.value)) value = Number(v.value);
    else if (v.kind !== "none") {
      throw new SearchError(`Expected numeric value type for numeric attribute: ${key}. Found ${v.text}`);
    }
    if (!isOneOf(comparator, NUMERIC_COMPARATORS) || value === undefined) {
      throw invalidComparatorFor(`attribute ${key}`, comparator, NUMERIC_COMPARATORS);
    }
    return { entity, key, predicate: { kind: "number", comparator, value } };
  }

  if (v.kind === "number") {
    throw new SearchError(`Only the '${pyList(VERSION_NUMERIC_KEYS)}' attributes support comparison with numeric values.`);
  }
  if (key === "run_id") {
    const valid = [...STRING_COMPARATORS, ...LIST_COMPARATORS];
    if (v.kind === "list") {
      const values = stringList(v);
      if (!isOneOf(comparator, valid)) throw invalidComparatorFor("attribute", comparator, valid);
      if (!isOneOf(comparator, LIST_COMPARATORS)) throw listMismatch(c);
      return { entity, key, predicate: { kind: "list", comparator, values } };
    }
    const value = attributeString(c);
    if (!isOneOf(comparator, valid)) throw invalidComparatorFor("attribute", comparator, valid);
    if (!isOneOf(comparator, STRING_COMPARATORS)) throw listMismatch(c);
    return { entity, key, predicate: { kind: "string", comparator, value } };
  }
  if (!isOneOf(key, ["name", "source_path"] as const)) throw new SearchError(`Invalid attribute name: ${key}`);
  const value = attributeString(c);
  if (!isOneOf(comparator, STRING_COMPARATORS)) throw invalidComparatorFor("attribute", comparator, STRING_COMPARATORS);
  return { entity, key, predicate: { kind: "string", comparator, value } };
}

export function parseModelVersionFilter(filter: string | undefined): ModelVersionFilter {
  const expr = filter ? parseFilterSyntax(filter, { allowOr: false }) : undefined;
  return andedComparisons(expr).map(modelVersionClause);
}

const MODEL_VERSION_ORDER_KEYS = ["name", "version_number", "creation_timestamp", "last_updated_timestamp"] as const;

export function parseModelVersionOrderBy(orderBy: readonly string[] | undefined): ModelVersionOrderKey[] {
  return orderKeys<ModelVersionOrderKey["key"]>(orderBy, MODEL_VERSION_ORDER_KEYS, (key) =>
    isOneOf(key, MODEL_VERSION_ORDER_KEYS) ? key : undefined,
  );
}
