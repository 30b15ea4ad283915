#!/usr/bin/env bun
/**
 * The `fml` command line. Every failure a user can cause (unknown flag, bad URI, unreachable
 * database) ends with one clear line on stderr and a non-zero exit, never a stack trace.
 */

import { defineCommand, runCommand, type ArgsDef, type CommandDef } from "citty";
import { ConfigError } from "../config.ts";
import { log } from "../log.ts";
import { dbCommand } from "./db.ts";
import { UsageError } from "./flags.ts";
import { gcCommand } from "./gc.ts";
import { helpOutput, renderHelp, resolveValue } from "./help.ts";
import { importCommand } from "./import.ts";
import { serverCommand } from "./server.ts";
import { commit, mlflowVersion, version } from "../version.ts";

export const main = defineCommand({
  meta: {
    name: "fml",
    version: `${version} (commit ${commit}, MLflow API ${mlflowVersion})`,
    description: "A fast, drop-in replacement for the MLflow tracking server",
  },
  subCommands: { server: serverCommand, db: dbCommand, import: importCommand, gc: gcCommand },
});

function isUserError(error: unknown): boolean {
  return (
    error instanceof ConfigError ||
    error instanceof UsageError ||
    (error instanceof Error && error.name === "CLIError") ||
    (error instanceof Error &&
      ["StoreOpenError", "SchemaError", "PostgresConnectError", "MysqlConnectError", "ImportError", "GcError", "BindError"].includes(error.name))
  );
}

/** The command a help request is about: `fml db upgrade --help` shows `upgrade`'s usage. */
async function commandFor(rawArgs: readonly string[]): Promise<[CommandDef, CommandDef | undefined]> {
  let command: CommandDef = main as CommandDef;
  let parent: CommandDef | undefined;
  for (const arg of rawArgs) {
    if (arg.startsWith("-")) break;
    const subCommands = (await command.subCommands) as Record<string, CommandDef> | undefined;
    const next = subCommands?.[arg];
    if (!next) break;
    parent = command;
    command = next;
  }
  return [command, parent];
}

/** `fml server -h 0.0.0.0` is MLflow's host flag; elsewhere `-h` asks for help. */
function definesShortH(args: ArgsDef | undefined): boolean {
  return Object.values(args ?? {}).some((def) => "alias" in def && [def.alias ?? []].flat().includes("h"));
}

export async function runCli(rawArgs: string[]): Promise<void> {
  try {
    if (rawArgs.length === 1 && (rawArgs[0] === "--version" || rawArgs[0] === "-v")) {
      console.log(`fml ${version} (commit ${commit}, MLflow API ${mlflowVersion})`);
      return;
    }
    const [command, parent] = await commandFor(rawArgs);
    if (rawArgs.length === 0 || rawArgs.includes("--help") || (rawArgs.includes("-h") && !definesShortH(command.args && (await resolveValue(command.args))))) {
      console.log(await renderHelp(command, parent, helpOutput()));
      return;
    }
    await runCommand(main, { rawArgs });
  } catch (error) {
    process.stderr.write(`fml: ${(error as Error).message ?? String(error)}\n`);
    if (!isUserError(error)) log.debug((error as Error).stack ?? "");
    process.exit(isUserError(error) ? 2 : 1);
  }
}

if (import.meta.main) void runCli(process.argv.slice(2));
