// The logged-model filter and order_by grammars (MLflow's search_logged_model_utils.py) as tables,
// plus a property test: every generated AND-list of valid comparisons parses back into the clauses
// it was built from, and every generated invalid one fails with a SearchError, never another error.

import { describe, expect, test } from "bun:test";
import { SearchError } from "../../src/search/errors.ts";
import {
  parseLoggedModelFilter,
  parseLoggedModelOrderBy,
  type LoggedModelClause,
} from "../../src/search/logged-models.ts";
import {
  decodeLoggedModelPageToken,
  encodeLoggedModelPageToken,
  validateLoggedModelPageToken,
} from "../../src/search/logged-model-page-token.ts";

const valid: [string, LoggedModelClause[]][] = [
  ["", []],
  ["  ", []],
  ["name = 'm1'", [{ entity: "attribute", key: "name", predicate: { kind: "string", comparator: "=", value: "m1" } }]],
  ["name = m1", [{ entity: "attribute", key: "name", predicate: { kind: "string", comparator: "=", value: "m1" } }]],
  // MLflow strips single quotes only.
  ['name = "m1"', [{ entity: "attribute", key: "name", predicate: { kind: "string", comparator: "=", value: '"m1"' } }]],
  [
    "attributes.status = '2'",
    [{ entity: "attribute", key: "status", predicate: { kind: "string", comparator: "=", value: "2" } }],
  ],
  [
    "creation_time > 5",
    [{ entity: "attribute", key: "creation_timestamp_ms", predicate: { kind: "number", comparator: ">", value: 5 } }],
  ],
  [
    "last_updated_timestamp <= 1.5",
    [{ entity: "attribute", key: "last_updated_timestamp_ms", predicate: { kind: "number", comparator: "<=", value: 1.5 } }],
  ],
  ["metrics.loss < 0.1", [{ entity: "metric", key: "loss", predicate: { kind: "number", comparator: "<", value: 0.1 } }]],
  ["metrics.`f1 score` >= 1", [{ entity: "metric", key: "f1 score", predicate: { kind: "number", comparator: ">=", value: 1 } }]],
  ["params.lr = '0.01'", [{ entity: "param", key: "lr", predicate: { kind: "string", comparator: "=", value: "0.01" } }]],
  ["tags.t ILIKE '%X%'", [{ entity: "tag", key: "t", predicate: { kind: "string", comparator: "ILIKE", value: "%X%" } }]],
  [
    "model_id IN ('m-1', 'm-2')",
    [{ entity: "attribute", key: "model_id", predicate: { kind: "list", comparator: "IN", values: ["m-1", "m-2"] } }],
  ],
  [
    "params.p NOT IN ('a')",
    [{ entity: "param", key: "p", predicate: { kind: "list", comparator: "NOT IN", values: ["a"] } }],
  ],
  [
    "metrics.acc > 0.5 AND params.lr = '1' and name LIKE 'm%'",
    [
      { entity: "metric", key: "acc", predicate: { kind: "number", comparator: ">", value: 0.5 } },
      { entity: "param", key: "lr", predicate: { kind: "string", comparator: "=", value: "1" } },
      { entity: "attribute", key: "name", predicate: { kind: "string", comparator: "LIKE", value: "m%" } },
    ],
  ],
];

const invalid: [string, string][] = [
  [
    "name = 'a' OR name = 'b'",
    `Invalid filter string: "name = 'a' OR name = 'b'". Expected a list of comparisons separated by 'AND' (e.g. 'metrics.loss > 0.1 AND params.lr = 0.01').`,
  ],
  ["datasets.name = 'x'", "Invalid entity type: 'datasets'. Expected one of ['attributes', 'metrics', 'params', 'tags']."],
  [
    "params.lr > '1'",
    "Invalid comparison operator for params.lr: '>'. Expected one of ('=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN').",
  ],
  [
    "metrics.acc LIKE '1'",
    "Invalid comparison operator for metrics.acc: 'LIKE'. Expected one of ('=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN').",
  ],
  ["metrics.acc > 'high'", "Expected a numeric value for metrics.acc. Got value 'high'"],
  ["foo = 'x'", "Invalid attribute key 'foo' specified."],
  ["name =", "Invalid filter string: 'name ='."],
];

describe("logged-model filter", () => {
  for (const [filter, clauses] of valid) {
    test(`parses ${JSON.stringify(filter)}`, () => {
      expect(parseLoggedModelFilter(filter)).toEqual(clauses);
    });
  }
  for (const [filter, message] of invalid) {
    test(`refuses ${JSON.stringify(filter)}`, () => {
      let error: unknown;
      try {
        parseLoggedModelFilter(filter);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(SearchError);
      expect((error as Error).message).toStartWith(message);
    });
  }
});

describe("logged-model order_by", () => {
  test("attributes with aliases, metrics with their dataset", () => {
    expect(
      parseLoggedModelOrderBy([
        { fieldName: "creation_time", ascending: false },
        { fieldName: "name", ascending: true },
        { fieldName: "metrics.acc", ascending: false, datasetName: "eval", datasetDigest: "d" },
      ]),
    ).toEqual([
      { entity: "attribute", key: "creation_timestamp_ms", ascending: false },
      { entity: "attribute", key: "name", ascending: true },
      { entity: "metric", key: "acc", ascending: false, datasetName: "eval", datasetDigest: "d" },
    ]);
  });
  test("params and unknown fields are refused with MLflow's messages", () => {
    expect(() => parseLoggedModelOrderBy([{ fieldName: "params.lr", ascending: true }])).toThrow(
      "Invalid order by field name: params.lr. Only metrics are supported.",
    );
    expect(() => parseLoggedModelOrderBy([{ fieldName: "bogus", ascending: true }])).toThrow(
      "Invalid order by field name: bogus",
    );
  });
});

describe("logged-model page tokens", () => {
  const request = { experimentIds: ["1"], filterString: "name = 's1'", orderBy: null };
  test("are Python json.dumps in base64 and round-trip", () => {
    const token = encodeLoggedModelPageToken({ ...request, offset: 50 });
    expect(atob(token)).toBe(`{"experiment_ids": ["1"], "filter_string": "name = 's1'", "order_by": null, "offset": 50}`);
    expect(decodeLoggedModelPageToken(token)).toEqual({ ...request, offset: 50 });
  });
  test("only serve the search they came from; garbage is a SearchError", () => {
    const token = decodeLoggedModelPageToken(encodeLoggedModelPageToken({ ...request, offset: 1 }));
    expect(() => validateLoggedModelPageToken(token, { ...request, filterString: null })).toThrow(
      "Filter string in the page token does not match the requested filter string. Expected: None. Found: name = 's1'",
    );
    expect(() => validateLoggedModelPageToken(token, { ...request, experimentIds: ["2"] })).toThrow(
      "Experiment IDs in the page token do not match the requested experiment IDs. Expected: ['2']. Found: ['1']",
    );
    for (const bad of ["%%%", btoa("[1]"), btoa('{"offset": -1}'), btoa("not json")]) {
      expect(() => decodeLoggedModelPageToken(bad)).toThrow(SearchError);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Property test: random AND-lists of comparisons, rendered to text, parse back to their clauses.

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const KEYS = ["acc", "loss", "f1 score", "a.b", "x_1"];
const STRINGS = ["v", "0.1", "with space", "%like%", ""];

function generate(random: () => number): { text: string; clause: LoggedModelClause } {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const quoteKey = (k: string): string => (/^\w+$/.test(k) ? k : `\`${k}\``);
  const kind = pick(["metric", "param", "tag", "string-attr", "number-attr", "list"] as const);
  if (kind === "metric" || kind === "number-attr") {
    const comparator = pick(["=", "!=", ">", ">=", "<", "<="] as const);
    const value = Math.round((random() - 0.5) * 1e4) / 100;
    if (kind === "metric") {
      const key = pick(KEYS);
      return {
        text: `metrics.${quoteKey(key)} ${comparator} ${value}`,
        clause: { entity: "metric", key, predicate: { kind: "number", comparator, value } },
      };
    }
    const [alias, key] = pick([
      ["creation_time", "creation_timestamp_ms"],
      ["creation_timestamp_ms", "creation_timestamp_ms"],
      ["attributes.last_updated_timestamp", "last_updated_timestamp_ms"],
    ] as const);
    return { text: `${alias} ${comparator} ${value}`, clause: { entity: "attribute", key, predicate: { kind: "number", comparator, value } } };
  }
  if (kind === "list") {
    const values = [pick(STRINGS), pick(STRINGS)];
    const comparator = pick(["IN", "NOT IN"] as const);
    return {
      text: `tags.${quoteKey(pick(["k"]))} ${comparator} (${values.map((v) => `'${v}'`).join(", ")})`,
      clause: { entity: "tag", key: "k", predicate: { kind: "list", comparator, values } },
    };
  }
  const comparator = pick(["=", "!=", "LIKE", "ILIKE"] as const);
  const value = pick(STRINGS);
  if (kind === "string-attr") {
    const key = pick(["name", "model_id", "model_type", "source_run_id", "status"] as const);
    return { text: `${key} ${comparator} '${value}'`, clause: { entity: "attribute", key, predicate: { kind: "string", comparator, value } } };
  }
  const entity = kind;
  const key = pick(KEYS);
  return {
    text: `${entity}s.${quoteKey(key)} ${comparator} '${value}'`,
    clause: { entity, key, predicate: { kind: "string", comparator, value } },
  };
}

describe("logged-model filter properties", () => {
  test("2,000 generated AND-lists parse back into their clauses", () => {
    const random = rng(13);
    for (let i = 0; i < 2000; i++) {
      const parts = Array.from({ length: 1 + Math.floor(random() * 4) }, () => generate(random));
      const text = parts.map((p) => p.text).join(random() < 0.5 ? " AND " : " and ");
      expect({ text, parsed: parseLoggedModelFilter(text) }).toEqual({ text, parsed: parts.map((p) => p.clause) });
    }
  });

  test("2,000 mutated filters either parse or fail with a SearchError", () => {
    const random = rng(7);
    const noise = ["OR", "(", ")", "'", "`", ">", "IN", "datasets.x", ",", "=", "NOT", "metrics.", "1e999"];
    for (let i = 0; i < 2000; i++) {
      const tokens = generate(random).text.split(" ");
      tokens.splice(Math.floor(random() * (tokens.length + 1)), random() < 0.5 ? 1 : 0, noise[Math.floor(random() * noise.length)] as string);
      const text = tokens.join(" ");
      try {
        parseLoggedModelFilter(text);
      } catch (error) {
        expect({ text, error: (error as Error).name }).toEqual({ text, error: "SearchError" });
      }
    }
  });
});
