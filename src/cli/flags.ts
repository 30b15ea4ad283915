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

function aliasesOf(def: ArgDef): string[] {
  return "alias" in def && def.alias ? [def.alias].flat() : [];
}

/**
 * Throws on the first flag that `args` does not define (names, aliases and `--no-` forms count).
 * A long name takes two dashes: `-backend-store-uri` is refused, not read as `-b -a -c ...`.
 */
export function rejectUnknownFlags(rawArgs: readonly string[], args: ArgsDef, help = "--help"): void {
  const long = new Set<string>(["help"]);
  const short = new Set<string>();
  const takesValue = new Set<string>();
  for (const [name, def] of Object.entries(args)) {
    for (const spelling of [name, ...aliasesOf(def)]) {
      (spelling.length === 1 ? short : long).add(spelling);
      if (def.type === "string") takesValue.add(spelling.length === 1 ? `-${spelling}` : `--${spelling}`);
      if (def.type === "boolean" && spelling.length > 1) long.add(`no-${spelling}`);
    }
  }
  if (!short.has("h")) short.add("h");
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i] as string;
    if (arg === "--") break;
    if (!arg.startsWith("-") || /^-\d/.test(arg) || arg === "-") continue;
    const typed = arg.split("=")[0] as string;
    // The next word is this flag's value, even when it starts with a dash (`--gunicorn-opts "-w 4"`).
    if (typed === arg && takesValue.has(typed)) {
      if (i + 1 >= rawArgs.length) throw new UsageError(`flag '${typed}' needs a value (see ${help})`);
      i++;
    }
    if (arg.startsWith("--")) {
      if (!long.has(typed.slice(2))) throw new UsageError(`unknown flag '${typed}' (see ${help})`);
    } else if (typed.length > 2 && takesValue.has(typed.slice(0, 2))) {
      // `-p5000`: a short flag with its value attached, as click (MLflow's CLI) accepts.
      continue;
    } else if (typed.length > 2) {
      const suggestion = long.has(typed.slice(1)) ? `; did you mean '-${typed}'?` : "";
      throw new UsageError(`unknown flag '${typed}': long flags take two dashes${suggestion} (see ${help})`);
    } else if (!short.has(typed.slice(1))) {
      throw new UsageError(`unknown flag '${typed}' (see ${help})`);
    }
  }
}

/** The flag each setting was given as on this command line (`-p`, `--backend-store-uri`), for the log. */
export function flagSpellings(rawArgs: readonly string[], args: ArgsDef): Record<string, string> {
  const byName = new Map<string, string>();
  for (const [name, def] of Object.entries(args)) {
    for (const spelling of [name, ...aliasesOf(def)]) {
      byName.set(spelling, name);
      byName.set(`no-${spelling}`, name);
    }
  }
  const spelled: Record<string, string> = {};
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i] as string;
    if (arg === "--") break;
    if (!arg.startsWith("-")) continue;
    // `--name[=value]`, or `-x[value]` (a short flag, its value possibly attached)
    const typed = arg.startsWith("--") ? (arg.split("=")[0] as string) : arg.slice(0, 2);
    const name = byName.get(typed.replace(/^--?/, ""));
    if (!name) continue;
    spelled[name] = typed;
    // The next word is this flag's value (`--gunicorn-opts "-w 4"`), not a flag.
    if (args[name]?.type === "string" && typed === arg) i++;
  }
  return spelled;
}
