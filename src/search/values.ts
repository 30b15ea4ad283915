/**
 * Checks shared by the filter grammars: turning a raw value into the typed value a key needs, and
 * rejecting comparators a key does not support, with MLflow's wording.
 */

import type { ListComparator, NumericComparator, StringComparator } from "./ast.ts";
import { SearchError } from "./errors.ts";
import { pyList, pyTuple } from "./py-repr.ts";
import type { RawComparison, RawExpr, RawIdentifier, RawValue } from "./syntax.ts";

export const NUMERIC_COMPARATORS: readonly NumericComparator[] = ["=", "!=", ">", ">=", "<", "<="];
export const STRING_COMPARATORS: readonly StringComparator[] = ["=", "!=", "LIKE", "ILIKE"];
export const LIST_COMPARATORS: readonly ListComparator[] = ["IN", "NOT IN"];

export function isOneOf<T extends string>(value: string, options: readonly T[]): value is T {
  return (options as readonly string[]).includes(value);
}

/** The comparisons of an AND-only filter (the syntax parser has already refused OR). */
export function andedComparisons(expr: RawExpr | undefined): RawComparison[] {
  if (!expr) return [];
  if (expr.type === "comparison") return [expr];
  return expr.operands.flatMap(andedComparisons);
}

export function notQuoted(text: string): SearchError {
  return new SearchError(
    `Parameter value is either not quoted or unidentified quote types used for string value ${text}. ` +
      "Use either single or double quotes.",
  );
}

/**
 * A quoted string value. An unquoted word gets MLflow's "not quoted" message; anything else gets
 * `otherwise`.
 */
export function quotedString(value: RawValue, otherwise: () => SearchError): string {
  if (value.kind === "string") return value.value;
  if (value.kind === "bare") throw notQuoted(value.text);
  throw otherwise();
}

/** A parenthesised list of quoted strings, as `x IN ('a', 'b')` needs. */
export function stringList(value: RawValue & { kind: "list" }): string[] {
  if (value.items.length === 0) {
    throw new SearchError(
      "While parsing a list in the query, expected a non-empty list of string values, but got empty list",
    );
  }
  return value.items.map((item) => {
    if (item.kind !== "string") {
      throw new SearchError(
        "While parsing a list in the query, expected string value, punctuation, or whitespace, " +
          `but got different type in list: ${value.text} (${item.text} is not a quoted string)`,
      );
    }
    return item.value;
  });
}

export function invalidComparator(comparator: string, valid: readonly string[]): SearchError {
  return new SearchError(`Invalid comparator '${comparator}' not one of '${pyList(valid)}'`);
}

/** A list value needs IN / NOT IN and IN / NOT IN need a list; say which half is missing. */
export function listMismatch(c: RawComparison): SearchError {
  return isOneOf(c.comparator, LIST_COMPARATORS)
    ? new SearchError(
        `Comparator '${c.comparator}' expects a parenthesised list of quoted strings, e.g. ('a', 'b'). ` +
          `Got value ${c.value.text} in '${c.text}'`,
      )
    : new SearchError(
        `Comparator '${c.comparator}' cannot compare with a list of values; use IN or NOT IN. ` +
          `Got value ${c.value.text} in '${c.text}'`,
      );
}

const ATTRIBUTE_OR_TAG = new Map<string, "attribute" | "tag">([
  ["attribute", "attribute"],
  ["attributes", "attribute"],
  ["tag", "tag"],
  ["tags", "tag"],
]);

/**
 * Identifier resolution of the experiment and registry grammars: `key`, `attribute(s).key` or
 * `tag(s).key`; attribute keys must be in `validAttributes`.
 */
export function attributeOrTag(
  identifier: RawIdentifier,
  validAttributes: readonly string[],
): { entity: "attribute" | "tag"; key: string } {
  const name = identifier.entity ?? "attribute";
  const entity = ATTRIBUTE_OR_TAG.get(name);
  if (!entity) {
    throw new SearchError(`Invalid entity type '${name}'. Valid entity types are ${pyTuple([...ATTRIBUTE_OR_TAG.keys()])}`);
  }
  if (entity === "attribute" && !validAttributes.includes(identifier.key)) {
    throw new SearchError(
      `Invalid attribute key '${identifier.key}' specified. Valid keys are '${pyList(validAttributes)}'`,
    );
  }
  return { entity, key: identifier.key };
}

/** The tag value of an experiment or registry filter: a quoted string. */
export function tagValue(v: RawValue): string {
  return quotedString(v, () => new SearchError(`Expected a quoted string value for tag (e.g. 'my-value'). Got value ${v.text}`));
}

/** "Invalid comparator for tag: >" and friends, listing what would have been accepted. */
export function invalidComparatorFor(what: string, comparator: string, valid: readonly string[]): SearchError {
  return new SearchError(`Invalid comparator for ${what}: ${comparator}. Valid comparators are ${pyList(valid)}`);
}
