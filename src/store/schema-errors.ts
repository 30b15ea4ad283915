/**
 * The one error fml raises when a database's schema is not something it can serve or upgrade.
 * Its message is shown to the user as is, so it always says what was found and what to do next.
 */

export class SchemaError extends Error {
  override name = "SchemaError";
}
