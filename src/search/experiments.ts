/**
 * search-experiments: filter and order_by grammars (MLflow spec §10.3). AND only, like MLflow.
 */

import type { ExperimentClause, ExperimentFilter, ExperimentOrderKey } from "./ast.ts";
import { SearchError } from "./errors.ts";
import { parseFilterSyntax, parseOrderBySyntax, type RawComparison } from "./syntax.ts";
import {
  andedComparisons,
  attributeOrTag,
  invalidComparatorFor,
  isOneOf,
  NUMERIC_COMPARATORS,
  quotedString,
  STRING_COMPARATORS,
  tagValue,
} from "./values.ts";

const SEARCH_KEYS = ["name", "creation_time", "last_update_time"] as const;
const ORDER_KEYS = ["name", "experiment_id", "creation_time", "last_update_time"] as const;

function experimentClause(c: RawComparison): ExperimentClause {
  const { entity, key } = attributeOrTag(c.identifier, SEARCH_KEYS);
  const { comparator, value: v } = c;
  if (entity === "tag") {
    const value = v.kind === "none" ? "" : tagValue(v);
    if (!isOneOf(comparator, STRING_COMPARATORS)) throw invalidComparatorFor("tag", comparator, STRING_COMPARATORS);
    return { entity, key, predicate: { kind: "string", comparator, value } };
  }
  if (key === "name") {
    const notString = () => new SearchError(`Expected a quoted string value for attributes. Got value ${v.text}`);
    const value = v.kind === "none" ? "" : quotedString(v, notString);
    if (!isOneOf(comparator, STRING_COMPARATORS)) {
      throw invalidComparatorFor("string attribute", comparator, STRING_COMPARATORS);
    }
    return { entity, key, predicate: { kind: "string", comparator, value } };
  }
  if (!isOneOf(key, ["creation_time", "last_update_time"] as const)) {
    throw new SearchError(`Invalid attribute key '${key}' specified.`);
  }
  if (v.kind !== "number" && v.kind !== "none") {
    throw new SearchError(`Expected numeric value type for numeric attribute: ${key}. Found ${v.text}`);
  }
  if (!isOneOf(comparator, NUMERIC_COMPARATORS) || v.kind !== "number") {
    throw invalidComparatorFor("numeric attribute", comparator, NUMERIC_COMPARATORS);
  }
  return { entity, key, predicate: { kind: "number", comparator, value: v.value } };
}

export function parseExperimentFilter(filter: string | undefined): ExperimentFilter {
  const expr = filter ? parseFilterSyntax(filter, { allowOr: false }) : undefined;
  return andedComparisons(expr).map(experimentClause);
}

/** The user's order_by entries; defaults and the experiment_id tie-breaker are the SQL builder's. */
export function parseExperimentOrderBy(orderBy: readonly string[] | undefined): ExperimentOrderKey[] {
  return (orderBy ?? []).map((text) => {
    const { identifier, ascending } = parseOrderBySyntax(text);
    const { entity, key } = attributeOrTag(identifier, ORDER_KEYS);
    if (entity !== "attribute" || !isOneOf(key, ORDER_KEYS)) {
      throw new SearchError(`Invalid order_by entity: ${entity}`);
    }
    return { key, ascending };
  });
}
