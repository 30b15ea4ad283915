// The trace filter and order_by grammars (spec §3.6) as tables: each input with the AST it gives,
// or the error a client sees. The SQL they compile to runs in test/api/traces.test.ts.

import { describe, expect, test } from "bun:test";
import type { TraceClause, TraceOrderKey } from "../../src/search/ast.ts";
import { SearchError } from "../../src/search/errors.ts";
import { parseTraceFilter, parseTraceOrderBy } from "../../src/search/traces.ts";

const str = (comparator: "=" | "!=" | "LIKE" | "ILIKE", value: string) => ({ kind: "string" as const, comparator, value });

const valid: [string, TraceClause[]][] = [
  ["", []],
  ["status = 'OK'", [{ entity: "attribute", key: "status", predicate: str("=", "OK") }]],
  ["trace.status = \"ERROR\"", [{ entity: "attribute", key: "status", predicate: str("=", "ERROR") }]],
  ["attributes.request_id IN ('a', 'b')", [{ entity: "attribute", key: "request_id", predicate: { kind: "list", comparator: "IN", values: ["a", "b"] } }]],
  ["client_request_id NOT IN ('x')", [{ entity: "attribute", key: "client_request_id", predicate: { kind: "list", comparator: "NOT IN", values: ["x"] } }]],
  ["timestamp > 5", [{ entity: "attribute", key: "timestamp_ms", predicate: { kind: "number", comparator: ">", value: 5 } }]],
  ["execution_time_ms <= '100'", [{ entity: "attribute", key: "execution_time_ms", predicate: { kind: "number", comparator: "<=", value: 100 } }]],
  ["end_time != 7", [{ entity: "attribute", key: "end_time_ms", predicate: { kind: "number", comparator: "!=", value: 7 } }]],
  ["name = 'pipeline'", [{ entity: "tag", key: "mlflow.traceName", predicate: str("=", "pipeline") }]],
  ["tags.`mlflow.traceName` LIKE 'pipe%'", [{ entity: "tag", key: "mlflow.traceName", predicate: str("LIKE", "pipe%") }]],
  ["tag.k IS NULL", [{ entity: "tag", key: "k", predicate: { kind: "null", comparator: "IS NULL" } }]],
  ["metadata.`mlflow.user` ILIKE 'A%'", [{ entity: "metadata", key: "mlflow.user", predicate: str("ILIKE", "A%") }]],
  ["request_metadata.k IS NOT NULL", [{ entity: "metadata", key: "k", predicate: { kind: "null", comparator: "IS NOT NULL" } }]],
  ["tags.k RLIKE '^a.*'", [{ entity: "tag", key: "k", predicate: { kind: "regex", value: "^a.*" } }]],
  ["run_id = 'abc'", [{ entity: "run_id", value: "abc" }]],
  ["prompt = 'p/1'", [{ entity: "prompt", value: "p/1" }]],
  ["span.name = 'add'", [{ entity: "span", key: "name", predicate: str("=", "add") }]],
  ["span.type IN ('LLM', 'TOOL')", [{ entity: "span", key: "type", predicate: { kind: "list", comparator: "IN", values: ["LLM", "TOOL"] } }]],
  ["span.attributes.model LIKE '%gpt%'", [{ entity: "span_attribute", key: "model", predicate: str("LIKE", "%gpt%") }]],
  ["span.content ILIKE '%x%'", [{ entity: "span_content", predicate: str("ILIKE", "%x%") }]],
  ["text LIKE '%x%'", [{ entity: "span_content", predicate: str("LIKE", "%x%") }]],
  ["feedback.quality = '0.9'", [{ entity: "feedback", key: "quality", predicate: str("=", "0.9") }]],
  ["expectation.answer IS NULL", [{ entity: "expectation", key: "answer", predicate: { kind: "null", comparator: "IS NULL" } }]],
  [
    "status = 'OK' AND tags.a = 'b'",
    [
      { entity: "attribute", key: "status", predicate: str("=", "OK") },
      { entity: "tag", key: "a", predicate: str("=", "b") },
    ],
  ],
];

const invalid: [string, string][] = [
  ["status = 'OK' OR status = 'ERROR'", "Invalid clause(s) in filter string: 'OR'"],
  ["(status = 'OK')", "grouping parentheses are not supported"],
  ["foo = 'x'", "Invalid attribute key 'foo' specified. Valid keys are"],
  ["bogus.k = 'x'", "Invalid entity type 'bogus'"],
  ["status = OK", "Parameter value is either not quoted or unidentified quote types used for string value OK"],
  ["status > 'OK'", "Invalid comparator '>' not one of"],
  ["timestamp_ms LIKE '1'", "Invalid comparator 'LIKE' not one of"],
  ["timestamp_ms > 'soon'", "Expected numeric value type for numeric attribute: timestamp_ms"],
  ["tags.k IN ('a')", "Invalid comparator 'IN' not one of"],
  ["run_id != 'x'", "Invalid comparator '!=' not one of"],
  ["span.bogus = 'x'", "Invalid span attribute 'bogus'. Supported attributes: name, status, type, attributes.<attribute_name>."],
  ["span.content = 'x'", "span.content comparator '=' not one of"],
  ["text ILIKE '%x%'", "Invalid clause(s) in filter string: 'text ILIKE '%x%''"],
  ["issue.id = 'x'", "Filtering by 'issue' is not supported by fml"],
  ["status IN 'OK'", "Expected a list of quoted strings for IN"],
  ["status = 'OK' AND", "Invalid clause(s) in filter string"],
];

describe("trace filter", () => {
  for (const [filter, expected] of valid) {
    test(`accepts ${JSON.stringify(filter)}`, () => {
      expect(parseTraceFilter(filter)).toEqual(expected);
    });
  }
  for (const [filter, message] of invalid) {
    test(`refuses ${JSON.stringify(filter)}`, () => {
      expect(() => parseTraceFilter(filter)).toThrow(SearchError);
      expect(() => parseTraceFilter(filter)).toThrow(message);
    });
  }
});

describe("trace order_by", () => {
  const cases: [string[], TraceOrderKey[]][] = [
    [[], []],
    [["timestamp_ms DESC"], [{ entity: "attribute", key: "timestamp_ms", ascending: false }]],
    [["timestamp"], [{ entity: "attribute", key: "timestamp_ms", ascending: true }]],
    [["execution_time ASC", "request_id"], [
      { entity: "attribute", key: "execution_time_ms", ascending: true },
      { entity: "attribute", key: "request_id", ascending: true },
    ]],
    [["name DESC"], [{ entity: "tag", key: "mlflow.traceName", ascending: false }]],
    [["run_id"], [{ entity: "metadata", key: "mlflow.sourceRun", ascending: true }]],
    [["tags.k", "metadata.`m.x` DESC"], [
      { entity: "tag", key: "k", ascending: true },
      { entity: "metadata", key: "m.x", ascending: false },
    ]],
  ];
  for (const [orderBy, expected] of cases) {
    test(`accepts ${JSON.stringify(orderBy)}`, () => {
      expect(parseTraceOrderBy(orderBy)).toEqual(expected);
    });
  }
  test("refuses unknown keys, duplicates, end_time and bad directions", () => {
    expect(() => parseTraceOrderBy(["bogus"])).toThrow("Invalid attribute key 'bogus' specified");
    expect(() => parseTraceOrderBy(["timestamp_ms", "timestamp DESC"])).toThrow("`order_by` contains duplicate fields");
    expect(() => parseTraceOrderBy(["end_time_ms"])).toThrow("Ordering traces by 'end_time_ms' is not supported.");
    expect(() => parseTraceOrderBy(["timestamp_ms sideways"])).toThrow("Invalid ordering key in order_by clause");
    expect(() => parseTraceOrderBy(["span.name"])).toThrow("Invalid order_by entity 'span'");
  });
});
