/**
 * The validated search ASTs the parsers produce and the SQL compiler consumes. Keys and values
 * here are plain data taken from the filter text; only the compiler decides how they reach SQL
 * (always as bound parameters).
 */

export type NumericComparator = "=" | "!=" | ">" | ">=" | "<" | "<=";
export type StringComparator = "=" | "!=" | "LIKE" | "ILIKE";
export type ListComparator = "IN" | "NOT IN";
export type NullComparator = "IS NULL" | "IS NOT NULL";

export interface NumberPredicate {
  kind: "number";
  comparator: NumericComparator;
  value: number;
}
export interface StringPredicate {
  kind: "string";
  comparator: StringComparator;
  value: string;
}
export interface ListPredicate {
  kind: "list";
  comparator: ListComparator;
  values: string[];
}
export interface NullPredicate {
  kind: "null";
  comparator: NullComparator;
}
export type Predicate = NumberPredicate | StringPredicate | ListPredicate | NullPredicate;

/** AND/OR tree; an empty `and` is true (no filter), an empty `or` is false. */
export type BoolExpr<C> =
  | { type: "and"; operands: BoolExpr<C>[] }
  | { type: "or"; operands: BoolExpr<C>[] }
  | { type: "clause"; clause: C };

// --- runs -------------------------------------------------------------------------------------

export type RunStringAttribute = "run_id" | "run_name" | "status" | "user_id" | "artifact_uri";
export type RunNumericAttribute = "start_time" | "end_time";
export type DatasetKey = "name" | "digest" | "context";

export type RunClause =
  | { entity: "metric"; key: string; predicate: NumberPredicate }
  | { entity: "param" | "tag"; key: string; predicate: StringPredicate | NullPredicate }
  | { entity: "attribute"; key: RunStringAttribute; predicate: StringPredicate | ListPredicate }
  | { entity: "attribute"; key: RunNumericAttribute; predicate: NumberPredicate }
  | { entity: "dataset"; key: DatasetKey; predicate: StringPredicate | ListPredicate };

export type RunFilter = BoolExpr<RunClause>;

export type RunOrderAttribute = RunStringAttribute | RunNumericAttribute;
export type RunOrderKey =
  | { entity: "attribute"; key: RunOrderAttribute; ascending: boolean }
  | { entity: "metric" | "param" | "tag"; key: string; ascending: boolean };

// --- experiments ------------------------------------------------------------------------------

export type ExperimentClause =
  | { entity: "attribute"; key: "name"; predicate: StringPredicate }
  | { entity: "attribute"; key: "creation_time" | "last_update_time"; predicate: NumberPredicate }
  | { entity: "tag"; key: string; predicate: StringPredicate };

/** Experiment filters are AND-only, like MLflow's. */
export type ExperimentFilter = ExperimentClause[];

export interface ExperimentOrderKey {
  key: "name" | "experiment_id" | "creation_time" | "last_update_time";
  ascending: boolean;
}

// --- model registry ---------------------------------------------------------------------------

export type RegisteredModelClause =
  | { entity: "attribute"; key: "name"; predicate: StringPredicate }
  | { entity: "tag"; key: string; predicate: StringPredicate };
export type RegisteredModelFilter = RegisteredModelClause[];

export interface RegisteredModelOrderKey {
  key: "name" | "last_updated_timestamp" | "creation_timestamp";
  ascending: boolean;
}

export type ModelVersionClause =
  | { entity: "attribute"; key: "name" | "source_path"; predicate: StringPredicate }
  | { entity: "attribute"; key: "run_id"; predicate: StringPredicate | ListPredicate }
  | {
      entity: "attribute";
      key: "version_number" | "creation_timestamp" | "last_updated_timestamp";
      predicate: NumberPredicate;
    }
  | { entity: "tag"; key: string; predicate: StringPredicate };
export type ModelVersionFilter = ModelVersionClause[];

export interface ModelVersionOrderKey {
  key: "name" | "version_number" | "creation_timestamp" | "last_updated_timestamp";
  ascending: boolean;
}

// --- traces -----------------------------------------------------------------------------------

/** `RLIKE`: a regular expression search, as Python's `re.search` / PostgreSQL's `~`. */
export interface RegexPredicate {
  kind: "regex";
  value: string;
}
export type TracePredicate = StringPredicate | ListPredicate | NullPredicate | RegexPredicate;

export type TraceNumericAttribute = "timestamp_ms" | "execution_time_ms" | "end_time_ms";
export type TraceStringAttribute = "status" | "request_id" | "client_request_id";
export type SpanField = "name" | "type" | "status";

export type TraceClause =
  | { entity: "attribute"; key: TraceNumericAttribute; predicate: NumberPredicate }
  | { entity: "attribute"; key: TraceStringAttribute; predicate: StringPredicate | ListPredicate | RegexPredicate }
  | { entity: "tag" | "metadata"; key: string; predicate: StringPredicate | NullPredicate | RegexPredicate }
  | { entity: "run_id"; value: string }
  | { entity: "prompt"; value: string }
  | { entity: "span"; key: SpanField; predicate: StringPredicate | ListPredicate | RegexPredicate }
  | { entity: "span_attribute"; key: string; predicate: StringPredicate | ListPredicate | RegexPredicate }
  | { entity: "span_content"; predicate: StringPredicate }
  | { entity: "feedback" | "expectation"; key: string; predicate: StringPredicate | NullPredicate | RegexPredicate };

/** Trace filters are AND-only, like MLflow's. */
export type TraceFilter = TraceClause[];

export type TraceOrderKey =
  | { entity: "attribute"; key: "timestamp_ms" | "execution_time_ms" | "status" | "request_id" | "experiment_id"; ascending: boolean }
  | { entity: "tag" | "metadata"; key: string; ascending: boolean };
