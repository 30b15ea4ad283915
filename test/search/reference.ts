/**
 * A plain in-memory evaluation of the run-search AST, written independently of the SQL compiler:
 * the property tests check that the database returns exactly what this returns.
 */

import type { NumberPredicate, RunClause, RunFilter, RunOrderKey, StringPredicate } from "../../src/search/ast.ts";
import type { RunRow } from "./fixture.ts";

function likeRegex(pattern: string, flags: string): RegExp {
  let source = "";
  for (const ch of pattern) {
    if (ch === "%") source += ".*";
    else if (ch === "_") source += ".";
    else source += ch.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return new RegExp(`^${source}$`, `s${flags}`);
}

function stringMatches(value: string | null | undefined, p: StringPredicate): boolean {
  if (value === null || value === undefined) return false;
  switch (p.comparator) {
    case "=":
      return value === p.value;
    case "!=":
      return value !== p.value;
    case "LIKE":
      return likeRegex(p.value, "").test(value);
    case "ILIKE":
      return likeRegex(p.value.toLowerCase(), "").test(value.toLowerCase());
  }
}

/** IEEE comparison: NaN is unequal to everything and neither above nor below anything. */
function numberMatches(value: number | null | undefined, p: NumberPredicate): boolean {
  if (value === null || value === undefined) return false;
  switch (p.comparator) {
    case "=":
      return value === p.value;
    case "!=":
      return value !== p.value;
    case ">":
      return value > p.value;
    case ">=":
      return value >= p.value;
    case "<":
      return value < p.value;
    case "<=":
      return value <= p.value;
  }
}

function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function attribute(run: RunRow, key: string): string | number | null {
  switch (key) {
    case "run_id":
      return run.id;
    case "run_name":
      return run.name;
    case "status":
      return run.status;
    case "user_id":
      return run.userId;
    case "artifact_uri":
      return run.artifactUri;
    case "start_time":
      return run.startTime;
    case "end_time":
      return run.endTime;
    default:
      throw new Error(`no attribute ${key}`);
  }
}

function clauseMatches(run: RunRow, c: RunClause): boolean {
  const p = c.predicate;
  switch (c.entity) {
    case "metric":
      return numberMatches(own(run.metrics, c.key), c.predicate);
    case "param":
    case "tag": {
      const value = c.entity === "param" ? own(run.params, c.key) : own(run.tags, c.key);
      if (p.kind === "null") return p.comparator === "IS NULL" ? value == null : value != null;
      return p.kind === "string" && stringMatches(value, p);
    }
    case "attribute": {
      if (p.kind === "number") return numberMatches(attribute(run, c.key) as number | null, p);
      // run_name is matched against the mlflow.runName tag, which fixtures write from `name`.
      const value = attribute(run, c.key) as string | null;
      if (p.kind === "list") return value !== null && (p.comparator === "IN") === p.values.includes(value);
      return p.kind === "string" && stringMatches(value, p);
    }
    case "dataset": {
      const values = run.datasets
        .map((d) => (c.key === "name" ? d.name : c.key === "digest" ? d.digest : d.context))
        .filter((v): v is string => v !== undefined);
      if (p.kind === "list") return values.some((v) => (p.comparator === "IN") === p.values.includes(v));
      return p.kind === "string" && values.some((v) => stringMatches(v, p));
    }
  }
}

export function runMatches(run: RunRow, f: RunFilter): boolean {
  switch (f.type) {
    case "clause":
      return clauseMatches(run, f.clause);
    case "and":
      return f.operands.every((o) => runMatches(run, o));
    case "or":
      return f.operands.some((o) => runMatches(run, o));
  }
}

type SortValue = { group: number; value: string | number | null };

function sortValue(run: RunRow, k: RunOrderKey): SortValue {
  if (k.entity === "attribute") {
    const value = k.key === "run_name" ? run.name : attribute(run, k.key);
    return { group: value === null ? 1 : 0, value };
  }
  if (k.entity === "metric") {
    const value = own(run.metrics, k.key);
    if (value === undefined) return { group: 2, value: null };
    return Number.isNaN(value) ? { group: 1, value: 0 } : { group: 0, value };
  }
  const value = k.entity === "param" ? own(run.params, k.key) : own(run.tags, k.key);
  return value === undefined || value === null ? { group: 1, value: null } : { group: 0, value };
}

function compareValues(a: string | number | null, b: string | number | null): number {
  if (a === b || a === null || b === null) return 0;
  return a < b ? -1 : 1;
}

/** MLflow's order: the keys, then start_time DESC (unless ordered by it), then run id. */
export function sortRuns(runs: readonly RunRow[], keys: readonly RunOrderKey[]): RunRow[] {
  const all: RunOrderKey[] = [...keys];
  if (!keys.some((k) => k.entity === "attribute" && k.key === "start_time")) {
    all.push({ entity: "attribute", key: "start_time", ascending: false });
  }
  all.push({ entity: "attribute", key: "run_id", ascending: true });
  return [...runs].sort((a, b) => {
    for (const k of all) {
      const va = sortValue(a, k);
      const vb = sortValue(b, k);
      if (va.group !== vb.group) return va.group - vb.group;
      const c = compareValues(va.value, vb.value);
      if (c !== 0) return k.ascending ? c : -c;
    }
    return 0;
  });
}
