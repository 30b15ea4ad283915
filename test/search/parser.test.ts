// The search grammars as a table: each filter or order_by with the AST it gives, or the exact
// error MLflow-style clients will see.

import { describe, expect, test } from "bun:test";
import type { RunClause, RunFilter } from "../../src/search/ast.ts";
import { SearchError } from "../../src/search/errors.ts";
import { parseExperimentFilter, parseExperimentOrderBy } from "../../src/search/experiments.ts";
import {
  parseModelVersionFilter,
  parseModelVersionOrderBy,
  parseRegisteredModelFilter,
  parseRegisteredModelOrderBy,
} from "../../src/search/registry.ts";
import { parseRunFilter, parseRunOrderBy } from "../../src/search/runs.ts";

const clause = (c: RunClause): RunFilter => ({ type: "clause", clause: c });
const metric = (key: string, comparator: "=" | "!=" | ">" | ">=" | "<" | "<=", value: number) =>
  clause({ entity: "metric", key, predicate: { kind: "number", comparator, value } });
const param = (key: string, comparator: "=" | "!=" | "LIKE" | "ILIKE", value: string) =>
  clause({ entity: "param", key, predicate: { kind: "string", comparator, value } });
const tag = (key: string, comparator: "=" | "!=" | "LIKE" | "ILIKE", value: string) =>
  clause({ entity: "tag", key, predicate: { kind: "string", comparator, value } });
const and = (...operands: RunFilter[]): RunFilter => ({ type: "and", operands });
const or = (...operands: RunFilter[]): RunFilter => ({ type: "or", operands });

const validRunFilters: [string, RunFilter][] = [
  ["", and()],
  ["   ", and()],
  ["metrics.acc > 0.9", metric("acc", ">", 0.9)],
  ["metric.acc >= 1", metric("acc", ">=", 1)],
  ["metrics.loss <= -1.5e3", metric("loss", "<=", -1500)],
  ["metrics.loss<.5", metric("loss", "<", 0.5)],
  ["metrics.acc != 0", metric("acc", "!=", 0)],
  ["metrics.`f1 score` = 1", metric("f1 score", "=", 1)],
  ['metrics."f1 score" = 1', metric("f1 score", "=", 1)],
  ["`metrics`.acc = 1", metric("acc", "=", 1)],
  ["params.lr = '0.1'", param("lr", "=", "0.1")],
  ['param.lr = "0.1"', param("lr", "=", "0.1")],
  ["parameters.model LIKE 'res%'", param("model", "LIKE", "res%")],
  ["parameter.model ilike '%NET'", param("model", "ILIKE", "%NET")],
  ["params.`batch-size` != '32'", param("batch-size", "!=", "32")],
  // MLflow strips the quotes and nothing else: '' stays two characters.
  ["params.a = 'it''s'", param("a", "=", "it''s")],
  ["tags.mlflow.user = 'alice'", tag("mlflow.user", "=", "alice")],
  ["tag.`mlflow.runName` LIKE 'run-%'", tag("mlflow.runName", "LIKE", "run-%")],
  ['tags."x.y" = \'a\'', tag("x.y", "=", "a")],
  ["tags.note IS NULL", clause({ entity: "tag", key: "note", predicate: { kind: "null", comparator: "IS NULL" } })],
  ["params.lr is not null", clause({ entity: "param", key: "lr", predicate: { kind: "null", comparator: "IS NOT NULL" } })],
  ["status = 'FINISHED'", clause({ entity: "attribute", key: "status", predicate: { kind: "string", comparator: "=", value: "FINISHED" } })],
  ["attributes.user_id != 'bob'", clause({ entity: "attribute", key: "user_id", predicate: { kind: "string", comparator: "!=", value: "bob" } })],
  ["attr.artifact_uri LIKE 's3://%'", clause({ entity: "attribute", key: "artifact_uri", predicate: { kind: "string", comparator: "LIKE", value: "s3://%" } })],
  ["run.run_name = 'x'", clause({ entity: "attribute", key: "run_name", predicate: { kind: "string", comparator: "=", value: "x" } })],
  ["`Run Name` = 'x'", clause({ entity: "attribute", key: "run_name", predicate: { kind: "string", comparator: "=", value: "x" } })],
  ["attributes.`run name` ILIKE 'X%'", clause({ entity: "attribute", key: "run_name", predicate: { kind: "string", comparator: "ILIKE", value: "X%" } })],
  ["created > 5", clause({ entity: "attribute", key: "start_time", predicate: { kind: "number", comparator: ">", value: 5 } })],
  ["attributes.Created <= 5", clause({ entity: "attribute", key: "start_time", predicate: { kind: "number", comparator: "<=", value: 5 } })],
  ["end_time = 7", clause({ entity: "attribute", key: "end_time", predicate: { kind: "number", comparator: "=", value: 7 } })],
  ["run_id IN ('a', 'b')", clause({ entity: "attribute", key: "run_id", predicate: { kind: "list", comparator: "IN", values: ["a", "b"] } })],
  ["attributes.run_id not in ('a',)", clause({ entity: "attribute", key: "run_id", predicate: { kind: "list", comparator: "NOT IN", values: ["a"] } })],
  ["datasets.name = 'iris'", clause({ entity: "dataset", key: "name", predicate: { kind: "string", comparator: "=", value: "iris" } })],
  ["dataset.digest IN ('d1', \"d2\")", clause({ entity: "dataset", key: "digest", predicate: { kind: "list", comparator: "IN", values: ["d1", "d2"] } })],
  ["datasets.context NOT IN ('train')", clause({ entity: "dataset", key: "context", predicate: { kind: "list", comparator: "NOT IN", values: ["train"] } })],
  ["metrics.a > 1 AND params.b = 'x'", and(metric("a", ">", 1), param("b", "=", "x"))],
  ["metrics.a > 1 and params.b = 'x' AND tags.c = 'y'", and(metric("a", ">", 1), param("b", "=", "x"), tag("c", "=", "y"))],
  // The extension: OR and parentheses, AND binding tighter.
  ["metrics.a > 1 OR params.b = 'x'", or(metric("a", ">", 1), param("b", "=", "x"))],
  ["metrics.a > 1 OR metrics.b > 2 AND metrics.c > 3", or(metric("a", ">", 1), and(metric("b", ">", 2), metric("c", ">", 3)))],
  ["metrics.a > 1 AND metrics.b > 2 or metrics.c > 3", or(and(metric("a", ">", 1), metric("b", ">", 2)), metric("c", ">", 3))],
  ["(metrics.a > 1 OR metrics.b > 2) AND metrics.c > 3", and(or(metric("a", ">", 1), metric("b", ">", 2)), metric("c", ">", 3))],
  ["((metrics.a > 1))", metric("a", ">", 1)],
];

const invalidRunFilters: [string, string][] = [
  ["metrics.acc > 0.9 NAND params.x = 'a'", "Invalid clause(s) in filter string: 'NAND' (expected AND, OR or the end of the filter at position 18)"],
  ["metrics.acc >", "Invalid clause(s) in filter string: 'metrics.acc >' (expected a value (a number, a quoted string or a parenthesised list) at the end of the filter)"],
  ["metrics.acc > 1 AND", "Invalid clause(s) in filter string: 'AND' (expected an identifier such as metrics.<key>, params.<key>, tags.<key> or an attribute at the end of the filter)"],
  ["metrics.acc 1", "Invalid clause(s) in filter string: 'metrics.acc 1' (expected a comparison operator (=, !=, >, >=, <, <=, LIKE, ILIKE, IN, NOT IN, IS NULL) at position 12)"],
  ["attribute.status = true", "Invalid clause(s) in filter string: 'attribute.status = true' (expected a value (a number, a quoted string or a parenthesised list) at position 19)"],
  ["metrics.a ~ 2", "Invalid clause(s) in filter string: 'metrics.a ~ 2' (unexpected character '~' at position 10)"],
  ["tags.x = 'abc", "Invalid clause(s) in filter string: 'tags.x = 'abc' (unterminated quoted text starting at position 9)"],
  ["`metrics.A > 0.1", "Invalid clause(s) in filter string: '`metrics.A > 0.1' (unterminated quoted text starting at position 0)"],
  ["metrics. a = 1", "Invalid clause(s) in filter string: 'metrics. a' (expected a key right after 'metrics.' at position 9)"],
  ["(metrics.a > 1", "Invalid clause(s) in filter string: '(metrics.a > 1' (expected AND, OR or ')' to close the '(' at position 0, at the end of the filter)"],
  ["metrics.a > 1)", "Invalid clause(s) in filter string: ')' (unmatched ')' at position 13)"],
  ["params.x NOT LIKE 'a'", "Invalid clause(s) in filter string: 'params.x NOT LIKE' (expected IN after NOT (NOT is only supported as NOT IN) at position 13)"],
  ["NOT metrics.a > 1", "Invalid clause(s) in filter string: 'NOT' (expected an identifier such as metrics.<key>, params.<key>, tags.<key> or an attribute at position 0)"],
  ["metrics.a > 1; metrics.b < 2", "Search filter contained multiple expression 'metrics.a > 1; metrics.b < 2'. Provide AND-ed expression list."],
  ["m.acc >= 0.94", "Invalid entity type 'm'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']"],
  ["Metrics.acc >= 0.94", "Invalid entity type 'Metrics'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']"],
  ["acc >= 0.94", "Invalid attribute key 'acc' specified. Valid keys are '['run_id', 'run_name', 'status', 'user_id', 'artifact_uri', 'start_time', 'end_time', 'created', 'Created', 'run name', 'Run name', 'Run Name']'"],
  ["attribute.lifecycle_stage = 'active'", "Invalid attribute key 'lifecycle_stage' specified. Valid keys are '['run_id', 'run_name', 'status', 'user_id', 'artifact_uri', 'start_time', 'end_time', 'created', 'Created', 'run name', 'Run name', 'Run Name']'"],
  ["dataset.status = 'x'", "Invalid dataset key 'status' specified. Valid keys are '['name', 'digest', 'context']'"],
  ["metrics.acc > '0.9'", "Expected numeric value type for metric. Found '0.9'"],
  ["metrics.acc > high", "Expected numeric value type for metric. Found high"],
  ["params.lr = 0.1", "Expected a quoted string value for parameter (e.g. 'my-value'). Got value 0.1"],
  ["tags.x = ('a')", "Expected a quoted string value for tag (e.g. 'my-value'). Got value ('a')"],
  ["params.lr = adam", "Parameter value is either not quoted or unidentified quote types used for string value adam. Use either single or double quotes."],
  ["tags.x = `a`", "Parameter value is either not quoted or unidentified quote types used for string value `a`. Use either single or double quotes."],
  ["start_time > '5'", "Expected numeric value type for numeric attribute: start_time. Found '5'"],
  ["created > x", "Expected numeric value type for numeric attribute: created. Found x"],
  ["status = 1", "Expected a quoted string value for attributes. Got value 1"],
  ["datasets.name = 1", "Expected a quoted string value for dataset attributes. Got value 1"],
  ["status IN ('a')", "Only the 'run_id' attribute supports comparison with a list of quoted string values."],
  ["run_id IN ()", "While parsing a list in the query, expected a non-empty list of string values, but got empty list"],
  ["run_id IN ('a', 1)", "While parsing a list in the query, expected string value, punctuation, or whitespace, but got different type in list: ('a', 1) (1 is not a quoted string)"],
  ["run_id IN 'a'", "Comparator 'IN' expects a parenthesised list of quoted strings, e.g. ('a', 'b'). Got value 'a' in 'run_id IN 'a''"],
  ["run_id = ('a', 'b')", "Comparator '=' cannot compare with a list of values; use IN or NOT IN. Got value ('a', 'b') in 'run_id = ('a', 'b')'"],
  ["metrics.acc LIKE 1", "Invalid comparator 'LIKE' not one of '['=', '!=', '>', '>=', '<', '<=']'"],
  ["metrics.acc <> 1", "Invalid comparator '<>' not one of '['=', '!=', '>', '>=', '<', '<=']'"],
  ["metrics.acc == 1", "Invalid comparator '==' not one of '['=', '!=', '>', '>=', '<', '<=']'"],
  ["metrics.acc IS NULL", "Invalid comparator 'IS NULL' not one of '['=', '!=', '>', '>=', '<', '<=']'"],
  ["params.lr > '0.1'", "Invalid comparator '>' not one of '['=', '!=', 'LIKE', 'ILIKE', 'IS NULL', 'IS NOT NULL']'"],
  ["tags.x IN ('a')", "Expected a quoted string value for tag (e.g. 'my-value'). Got value ('a')"],
  ["status > 'a'", "Invalid comparator '>' not one of '['=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN']'"],
  ["status IS NULL", "Invalid comparator 'IS NULL' not one of '['=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN']'"],
  ["end_time LIKE 5", "Invalid comparator 'LIKE' not one of '['=', '!=', '>', '>=', '<', '<=']'"],
  ["datasets.name > 'a'", "Invalid comparator '>' not one of '['=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN']'"],
];

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(SearchError);
    return (e as Error).message;
  }
  throw new Error("expected a SearchError");
}

describe("run filter", () => {
  test.each(validRunFilters)("parses %p", (filter, ast) => {
    expect(parseRunFilter(filter)).toEqual(ast);
  });
  test.each(invalidRunFilters)("rejects %p", (filter, message) => {
    expect(errorOf(() => parseRunFilter(filter))).toBe(message);
  });
  test("undefined filter is no filter", () => {
    expect(parseRunFilter(undefined)).toEqual(and());
  });
  test("nesting and clause count are bounded", () => {
    expect(errorOf(() => parseRunFilter(`${"(".repeat(60)}metrics.a > 1${")".repeat(60)}`))).toContain(
      "at most 50 levels of nested parentheses",
    );
    const many = Array.from({ length: 401 }, (_, i) => `metrics.m${i} > 1`).join(" OR ");
    expect(errorOf(() => parseRunFilter(many))).toBe("Invalid filter: more than 400 comparisons in filter string");
  });
});

describe("run order_by", () => {
  test.each([
    ["metrics.acc", { entity: "metric", key: "acc", ascending: true }],
    ["metrics.`f1 score` DESC", { entity: "metric", key: "f1 score", ascending: false }],
    ["params.lr asc", { entity: "param", key: "lr", ascending: true }],
    ["tags.`mlflow.user` desc", { entity: "tag", key: "mlflow.user", ascending: false }],
    ["start_time", { entity: "attribute", key: "start_time", ascending: true }],
    ["attributes.created DESC", { entity: "attribute", key: "start_time", ascending: false }],
    ["attr.run_name", { entity: "attribute", key: "run_name", ascending: true }],
    ["status DESC", { entity: "attribute", key: "status", ascending: false }],
  ] as const)("parses %p", (text, key) => {
    expect(parseRunOrderBy([text])).toEqual([key]);
  });
  test.each([
    ["", "Invalid order_by clause ''. Could not be parsed."],
    ["metrics.acc DESC extra", "Invalid order_by clause 'metrics.acc DESC extra'. Could not be parsed."],
    ["metrics.acc > 1", "Invalid order_by clause 'metrics.acc > 1'. Could not be parsed."],
    ["metrics.acc DOWN", "Invalid ordering key in order_by clause 'metrics.acc DOWN'."],
    ["foo.acc", "Invalid entity type 'foo'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']"],
    ["lifecycle_stage", "Invalid attribute key 'lifecycle_stage' specified. Valid keys are '['run_id', 'run_name', 'status', 'user_id', 'artifact_uri', 'start_time', 'end_time', 'created', 'Created']'"],
    ["datasets.name", "Invalid identifier type 'dataset' in order_by clause 'datasets.name'. Order by metrics, params, tags or attributes."],
  ])("rejects %p", (text, message) => {
    expect(errorOf(() => parseRunOrderBy([text]))).toBe(message);
  });
  test("repeating a key is an error, aliases included", () => {
    expect(errorOf(() => parseRunOrderBy(["metrics.a", "metric.a DESC"]))).toBe(
      "`order_by` contains duplicate fields: ['metrics.a', 'metric.a DESC']",
    );
    expect(errorOf(() => parseRunOrderBy(["created", "start_time"]))).toBe(
      "`order_by` contains duplicate fields: ['created', 'start_time']",
    );
    expect(parseRunOrderBy(["metrics.a", "params.a", "tags.a"])).toHaveLength(3);
  });
});

describe("experiment filter and order_by", () => {
  test.each([
    ["name = 'Default'", [{ entity: "attribute", key: "name", predicate: { kind: "string", comparator: "=", value: "Default" } }]],
    ["attributes.name ILIKE '%exp%'", [{ entity: "attribute", key: "name", predicate: { kind: "string", comparator: "ILIKE", value: "%exp%" } }]],
    ["creation_time > 5 AND tags.team = 'a'", [
      { entity: "attribute", key: "creation_time", predicate: { kind: "number", comparator: ">", value: 5 } },
      { entity: "tag", key: "team", predicate: { kind: "string", comparator: "=", value: "a" } },
    ]],
    ["tag.`a b` LIKE 'x%' and last_update_time <= 9", [
      { entity: "tag", key: "a b", predicate: { kind: "string", comparator: "LIKE", value: "x%" } },
      { entity: "attribute", key: "last_update_time", predicate: { kind: "number", comparator: "<=", value: 9 } },
    ]],
  ] as const)("parses %p", (filter, ast) => {
    expect(parseExperimentFilter(filter)).toEqual([...ast]);
  });
  test.each([
    ["name = 'a' OR name = 'b'", "Invalid clause(s) in filter string: 'OR' (only AND is supported in this filter, at position 11)"],
    ["(name = 'a')", "Invalid clause(s) in filter string: '(' (grouping parentheses are not supported in this filter, at position 0)"],
    ["metrics.a > 1", "Invalid entity type 'metrics'. Valid entity types are ('attribute', 'attributes', 'tag', 'tags')"],
    ["experiment_id = '1'", "Invalid attribute key 'experiment_id' specified. Valid keys are '['name', 'creation_time', 'last_update_time']'"],
    ["name = x", "Parameter value is either not quoted or unidentified quote types used for string value x. Use either single or double quotes."],
    ["name > 'a'", "Invalid comparator for string attribute: >. Valid comparators are ['=', '!=', 'LIKE', 'ILIKE']"],
    ["creation_time LIKE 5", "Invalid comparator for numeric attribute: LIKE. Valid comparators are ['=', '!=', '>', '>=', '<', '<=']"],
    ["creation_time = '5'", "Expected numeric value type for numeric attribute: creation_time. Found '5'"],
    ["tags.a > 'x'", "Invalid comparator for tag: >. Valid comparators are ['=', '!=', 'LIKE', 'ILIKE']"],
    ["tags.a = 1", "Expected a quoted string value for tag (e.g. 'my-value'). Got value 1"],
  ])("rejects %p", (filter, message) => {
    expect(errorOf(() => parseExperimentFilter(filter))).toBe(message);
  });
  test("order_by", () => {
    expect(parseExperimentOrderBy(["name", "attributes.creation_time DESC", "experiment_id asc"])).toEqual([
      { key: "name", ascending: true },
      { key: "creation_time", ascending: false },
      { key: "experiment_id", ascending: true },
    ]);
    expect(errorOf(() => parseExperimentOrderBy(["tags.a"]))).toBe("Invalid order_by entity: tag");
    expect(errorOf(() => parseExperimentOrderBy(["lifecycle_stage"]))).toBe(
      "Invalid attribute key 'lifecycle_stage' specified. Valid keys are '['name', 'experiment_id', 'creation_time', 'last_update_time']'",
    );
  });
});

describe("registry filters and order_by", () => {
  test("registered models", () => {
    expect(parseRegisteredModelFilter("name LIKE 'a%' AND tags.`k` = 'v'")).toEqual([
      { entity: "attribute", key: "name", predicate: { kind: "string", comparator: "LIKE", value: "a%" } },
      { entity: "tag", key: "k", predicate: { kind: "string", comparator: "=", value: "v" } },
    ]);
    expect(errorOf(() => parseRegisteredModelFilter("source_path = 'x'"))).toBe(
      "Invalid attribute key 'source_path' specified. Valid keys are '['name']'",
    );
    expect(errorOf(() => parseRegisteredModelFilter("name > 'x'"))).toBe(
      "Invalid comparator for attribute: >. Valid comparators are ['=', '!=', 'LIKE', 'ILIKE']",
    );
    expect(parseRegisteredModelOrderBy(["timestamp DESC", "name"])).toEqual([
      { key: "last_updated_timestamp", ascending: false },
      { key: "name", ascending: true },
    ]);
    expect(errorOf(() => parseRegisteredModelOrderBy(["timestamp", "last_updated_timestamp DESC"]))).toBe(
      "`order_by` contains duplicate fields: ['timestamp', 'last_updated_timestamp DESC']",
    );
  });
  test("model versions", () => {
    expect(parseModelVersionFilter("name = 'm' and version_number >= 2 AND run_id IN ('r1', 'r2')")).toEqual([
      { entity: "attribute", key: "name", predicate: { kind: "string", comparator: "=", value: "m" } },
      { entity: "attribute", key: "version_number", predicate: { kind: "number", comparator: ">=", value: 2 } },
      { entity: "attribute", key: "run_id", predicate: { kind: "list", comparator: "IN", values: ["r1", "r2"] } },
    ]);
    expect(parseModelVersionFilter("version_number = '3'")).toEqual([
      { entity: "attribute", key: "version_number", predicate: { kind: "number", comparator: "=", value: 3 } },
    ]);
    expect(errorOf(() => parseModelVersionFilter("name IN ('a')"))).toBe(
      "Only the 'run_id' attribute supports comparison with a list of quoted string values.",
    );
    expect(errorOf(() => parseModelVersionFilter("source_path = 3"))).toBe(
      "Only the '['version_number', 'creation_timestamp', 'last_updated_timestamp']' attributes support comparison with numeric values.",
    );
    expect(errorOf(() => parseModelVersionFilter("version_number LIKE 3"))).toBe(
      "Invalid comparator for attribute version_number: LIKE. Valid comparators are ['=', '!=', '>', '>=', '<', '<=']",
    );
    expect(errorOf(() => parseModelVersionFilter("name = 'a' OR name = 'b'"))).toBe(
      "Invalid clause(s) in filter string: 'OR' (only AND is supported in this filter, at position 11)",
    );
    expect(parseModelVersionOrderBy(["version_number DESC"])).toEqual([{ key: "version_number", ascending: false }]);
    expect(errorOf(() => parseModelVersionOrderBy(["run_id"]))).toBe(
      "Invalid attribute key 'run_id' specified. Valid keys are '['name', 'version_number', 'creation_timestamp', 'last_updated_timestamp']'",
    );
  });
});
