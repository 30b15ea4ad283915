/**
 * The search compilers in one place for the store: each turns a parsed search (src/search/) into
 * one parameterized SELECT of ids in MLflow's order, with LIMIT/OFFSET. The store loads the
 * entities for those ids itself.
 */

export { searchRunsSql, runFilterSql, type RunSearchQuery, type ViewType } from "./search-runs-sql.ts";
export { searchExperimentsSql, type ExperimentSearchQuery } from "./search-experiments-sql.ts";
export {
  searchModelVersionsSql,
  searchRegisteredModelsSql,
  type ModelVersionSearchQuery,
  type RegisteredModelSearchQuery,
} from "./search-registry-sql.ts";
