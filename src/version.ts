/** fml's version, from package.json; the release build may stamp a commit alongside it. */
import pkg from "../package.json" with { type: "json" };

export const version: string = pkg.version;
/** Replaced at build time by scripts/build.ts (`--define`). */
declare const FML_COMMIT: string | undefined;
export const commit: string = typeof FML_COMMIT === "string" ? FML_COMMIT : "source";
/** The MLflow release whose API and schema fml serves; `/version` reports it to MLflow clients. */
export const mlflowVersion = "3.11.0";
