/**
 * Flag checking shared by every `fml` command: citty ignores flags it does not know, and a typo
 * must not silently fall back to a default.
 */

import type { ArgDef, ArgsDef } from "citty";

/** `--database-uri`, worded once for every command that opens the database. */
export const databaseUriFlag = {
  type: "string",
  alias: ["backend-store-uri"] as string[],
  description: "sqlite://<file> or postgresql://user:pass@host/db [env FML_DATABASE_URI] (default sqlite://fml.db)",
} as const satisfies ArgDef;

/** `--s3-endpoint-uri`, for every command that reaches S3 artifacts. */
export const s3EndpointUriFlag = {
  type: "string",
  description: "S3-compatible endpoint, e.g. http://127.0.0.1:9000 [env FML_S3_ENDPOINT_URI]",
} as const satisfies ArgDef;

/** A mistake in how fml was called: one line on stderr and exit status 2, never a stack trace. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Throws on the first flag that `args` does not define (names, aliases and `--no-` forms count). */
export function rejectUnknownFlags(rawArgs: readonly string[], args: ArgsDef, help = "--help"): void {
  const known = new Set<string>(["help", "h"]);
  for (const [name, def] of Object.entries(args)) {
    known.add(name);
    const aliases = "alias" in def && def.alias ? [def.alias].flat() : [];
    for (const alias of aliases) known.add(alias);
    if (def.type === "boolean") {
      known.add(`no-${name}`);
      for (const alias of aliases) known.add(`no-${alias}`);
    }
  }
  for (const arg of rawArgs) {
    if (arg === "--") break;
    const match = /^--?([^=]+)/.exec(arg);
    if (!match || /^-\d/.test(arg)) continue;
    const name = match[1] as string;
    if (!known.has(name)) throw new UsageError(`unknown flag '${arg.split("=")[0]}' (see ${help})`);
  }
}
