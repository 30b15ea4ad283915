/**
 * The one error type of the search grammars. Its message is worded like MLflow's so clients that
 * match on it keep working; the HTTP layer maps it to 400 INVALID_PARAMETER_VALUE.
 */
export class SearchError extends Error {
  override name = "SearchError";
}
