/**
 * Compatibility mode: a database at an alembic revision fml does not replay (made by an MLflow
 * newer than the 3.11 head fml creates) is served as it is when its live schema has everything
 * fml reads and writes. fml never guesses from the revision id: it holds the catalog against its
 * own head schema (required-schema.ts), changes nothing and records no revision. A newer MLflow's
 * wider columns are used where they change what fml accepts (experiment tag values).
 */

import type { Reader } from "../db/database.ts";
import { incompatibility, textCapacity } from "./column-types.ts";
import { readIndexNames, readLiveSchema, type LiveSchema } from "./live-columns.ts";
import { HEAD_REVISION } from "./migrations.ts";
import { FML_TABLES, NAMED_INDEXES, requiredSchema } from "./required-schema.ts";

/** MLflow 3.11's limit on an experiment tag value (experiment_tags.value VARCHAR(5000)). */
export const EXPERIMENT_TAG_VALUE_LIMIT = 5000;
/** MLflow 3.17's, once experiment_tags.value is TEXT (revision 17e22815139b). */
export const WIDE_EXPERIMENT_TAG_VALUE_LIMIT = 20000;

/** What fml may accept on a database, beyond its head schema's defaults. */
export interface SchemaLimits {
  experimentTagValue: number;
}

export const HEAD_LIMITS: SchemaLimits = { experimentTagValue: EXPERIMENT_TAG_VALUE_LIMIT };

export interface Compatibility {
  revision: string;
  /** Each thing that keeps fml from serving the database, naming the table and column; empty when it can. */
  problems: string[];
  limits: SchemaLimits;
}

/** Reads the catalog and holds it against what fml needs; changes nothing. */
export async function inspectCompatibility(db: Reader, revision: string): Promise<Compatibility> {
  const [live, indexes] = await Promise.all([readLiveSchema(db), readIndexNames(db)]);
  const problems = schemaProblems(db.dialect, live);
  for (const index of NAMED_INDEXES[db.dialect]) {
    if (!indexes.has(index)) problems.push(`index ${index} is missing`);
  }
  return { revision, problems, limits: limitsOf(db.dialect, live) };
}

export function schemaProblems(dialect: Reader["dialect"], live: LiveSchema): string[] {
  const problems: string[] = [];
  for (const [table, needed] of requiredSchema(dialect)) {
    const columns = live.get(table);
    if (!columns) {
      problems.push(`table ${table} is missing`);
      continue;
    }
    const byName = new Map(columns.map((column) => [column.name, column]));
    for (const column of needed.values()) {
      const found = byName.get(column.name);
      if (!found) {
        problems.push(`column ${table}.${column.name} is missing`);
        continue;
      }
      const why = incompatibility(column.type, found.type, dialect);
      if (why) problems.push(`column ${table}.${column.name} ${why}`);
    }
    if (FML_TABLES[table] !== "insert") continue;
    for (const extra of columns) {
      if (!needed.has(extra.name) && extra.notNull && !extra.filledByDatabase) {
        problems.push(`column ${table}.${extra.name} is NOT NULL without a default, and fml does not fill it`);
      }
    }
  }
  return problems;
}

function limitsOf(dialect: Reader["dialect"], live: LiveSchema): SchemaLimits {
  const tagValue = live.get("experiment_tags")?.find((column) => column.name === "value");
  const capacity = tagValue ? textCapacity(tagValue.type, dialect) : 0;
  const wide = capacity === null || capacity >= WIDE_EXPERIMENT_TAG_VALUE_LIMIT;
  return { experimentTagValue: wide ? WIDE_EXPERIMENT_TAG_VALUE_LIMIT : EXPERIMENT_TAG_VALUE_LIMIT };
}

/** The one line fml logs (and `fml db check` prints) about a revision it does not replay. */
export function describeCompatibility(found: Compatibility): string {
  const at = `MLflow schema at alembic revision ${found.revision}, which fml does not replay (its head is ${HEAD_REVISION}, MLflow 3.11)`;
  if (found.problems.length > 0) return `${at}; not served, it lacks what fml needs: ${found.problems.join("; ")}`;
  const wide = found.limits.experimentTagValue > EXPERIMENT_TAG_VALUE_LIMIT;
  return (
    `${at}: served in compatibility mode, schema and revision left as they are` +
    (wide ? `; experiment tag values up to ${found.limits.experimentTagValue} characters` : "")
  );
}
