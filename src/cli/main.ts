#!/usr/bin/env bun
/**
 * The `fml` command line. Every failure a user can cause (unknown flag, bad URI, unreachable
 * database) ends with one clear line on stderr and a non-zero exit, never a stack trace.
 */

import { defineCommand, renderUsage, runCommand, type ArgsDef, type CommandDef } from "citty";
import { ConfigError, resolveServerConfig, type Flags } from "../config.ts";
import { log, setLogFormat, setLogLevel } from "../log.ts";
import { startServer } from "../server/start.ts";
import { dbCommand } from "./db.ts";
import { databaseUriFlag, rejectUnknownFlags, s3EndpointUriFlag, UsageError } from "./flags.ts";
import { gcCommand } from "./gc.ts";
import { importCommand } from "./import.ts";
import { commit, mlflowVersion, version } from "../version.ts";

const serverArgs = {
  "listen-address": {
    type: "string",
    description: "host:port to listen on [env FML_LISTEN_ADDRESS] (default 127.0.0.1:5000)",
  },
  "database-uri": databaseUriFlag,
  "artifact-root": {
    type: "string",
    alias: ["default-artifact-root"],
    description:
      "where new experiments store artifacts, e.g. s3://bucket/path [env FML_ARTIFACT_ROOT] " +
      "(default: served by fml as mlflow-artifacts:/)",
  },
  "artifacts-destination": {
    type: "string",
    description:
      "where fml stores proxied (mlflow-artifacts:) artifacts [env FML_ARTIFACTS_DESTINATION] (default ./mlartifacts)",
  },
  "serve-artifacts": {
    type: "boolean",
    description: "proxy artifact uploads and downloads [env FML_SERVE_ARTIFACTS] (default true)",
  },
  "s3-endpoint-uri": s3EndpointUriFlag,
  "database-migrate": {
    type: "boolean",
    description: "upgrade an older MLflow schema at start-up [env FML_DATABASE_MIGRATE] (default true)",
  },
  "database-pool-max": {
    type: "string",
    description: "maximum PostgreSQL connections [env FML_DATABASE_POOL_MAX] (default 10)",
  },
  "database-cache-size": {
    type: "string",
    description: "SQLite page cache for reads, in MB [env FML_DATABASE_CACHE_SIZE] (default 64)",
  },
  "log-level": {
    type: "string",
    description: "debug, info, warn or error [env FML_LOG_LEVEL] (default info)",
  },
  "log-format": {
    type: "string",
    description: "text or json, for every log line [env FML_LOG_FORMAT] (default text)",
  },
  "database-slow-threshold": {
    type: "string",
    description: "log database statements slower than this many ms, 0 = off [env FML_DATABASE_SLOW_THRESHOLD] (default 1000)",
  },
  "auth-username": {
    type: "string",
    description: "require HTTP basic auth with this username [env FML_AUTH_USERNAME] (default: no auth)",
  },
  "auth-password": {
    type: "string",
    description: "the basic-auth password; prefer the variable, flags show in ps [env FML_AUTH_PASSWORD]",
  },
  "auth-tokens-file": {
    type: "string",
    description: "accept bearer tokens whose SHA-256 hex digest ([name:]digest) is a line of this file [env FML_AUTH_TOKENS_FILE]",
  },
  "shutdown-timeout": {
    type: "string",
    description: "after SIGTERM, exit anyway after this long, e.g. 30s [env FML_SHUTDOWN_TIMEOUT] (default 30s)",
  },
  host: { type: "string", description: "MLflow-style alias: host to listen on" },
  port: { type: "string", description: "MLflow-style alias: port to listen on" },
} as const satisfies ArgsDef;

function flagsFrom(args: Record<string, unknown>, defs: ArgsDef): Flags {
  const flags: Flags = {};
  for (const name of Object.keys(defs)) {
    const value = args[name];
    if (typeof value === "string" || typeof value === "boolean") flags[name] = value;
  }
  return flags;
}

const server = defineCommand({
  meta: { name: "server", description: "Run the MLflow-compatible tracking server" },
  args: serverArgs,
  async run({ args, rawArgs }) {
    rejectUnknownFlags(rawArgs, serverArgs);
    const config = resolveServerConfig(flagsFrom(args, serverArgs), process.env, process.cwd());
    setLogLevel(config.logLevel);
    setLogFormat(config.logFormat);
    const running = await startServer(config);
    let signalled = false;
    const stop = (signal: string): void => {
      if (signalled) return;
      signalled = true;
      log.info(`${signal} received: finishing in-flight requests`);
      setTimeout(() => {
        log.warn(`shutdown did not finish within ${config.shutdownTimeoutMs} ms: exiting anyway`);
        process.exit(1);
      }, config.shutdownTimeoutMs).unref();
      running.shutdown().then(
        () => process.exit(0),
        (error: unknown) => {
          log.error(`shutdown failed: ${(error as Error).message}`);
          process.exit(1);
        },
      );
    };
    process.on("SIGTERM", () => stop("SIGTERM"));
    process.on("SIGINT", () => stop("SIGINT"));
    // Logs go to stderr only (journald, docker logs): there is no file to reopen.
    process.on("SIGHUP", () => log.info("SIGHUP received: logs go to stderr, nothing to reopen"));
  },
});

export const main = defineCommand({
  meta: {
    name: "fml",
    version: `${version} (commit ${commit}, MLflow API ${mlflowVersion})`,
    description: "A fast, drop-in replacement for the MLflow tracking server",
  },
  subCommands: { server, db: dbCommand, import: importCommand, gc: gcCommand },
});

function isUserError(error: unknown): boolean {
  return (
    error instanceof ConfigError ||
    error instanceof UsageError ||
    (error instanceof Error && error.name === "CLIError") ||
    (error instanceof Error &&
      ["StoreOpenError", "SchemaError", "PostgresConnectError", "ImportError", "GcError"].includes(error.name))
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

export async function runCli(rawArgs: string[]): Promise<void> {
  try {
    if (rawArgs.length === 1 && (rawArgs[0] === "--version" || rawArgs[0] === "-v")) {
      console.log(`fml ${version} (commit ${commit}, MLflow API ${mlflowVersion})`);
      return;
    }
    if (rawArgs.length === 0 || rawArgs.includes("--help") || rawArgs.includes("-h")) {
      const [command, parent] = await commandFor(rawArgs);
      console.log(await renderUsage(command, parent));
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
