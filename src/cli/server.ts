/**
 * `fml server`: flags built from the settings table (so `--help` names every variable that sets
 * a flag), configuration resolved, then the server started and stopped on SIGTERM/SIGINT.
 */

import { defineCommand, type ArgDef, type ArgsDef } from "citty";
import type { Flags } from "../config.ts";
import { log, setLogFormat, setLogLevel } from "../log.ts";
import { resolveServerConfig } from "../server-config.ts";
import { serverSettings, type Setting } from "../server-settings.ts";
import { startServer } from "../server/start.ts";
import { flagSpellings, rejectUnknownFlags } from "./flags.ts";

function argFor(setting: Setting): ArgDef {
  const env = setting.env.length ? ` [env ${setting.env.join(", ")}]` : "";
  const fallback = setting.default !== undefined ? ` (default ${setting.default})` : "";
  return {
    type: setting.type,
    description: `${setting.description}${env}${fallback}`,
    ...(setting.alias ? { alias: [...setting.alias] } : {}),
  } as ArgDef;
}

function serverArgs(): ArgsDef {
  const args: ArgsDef = {};
  for (const [name, setting] of Object.entries(serverSettings) as [string, Setting][]) {
    args[name] = argFor(setting);
    if (setting.negation) {
      args[setting.negation] = { type: "boolean", description: `turns --${name} off` };
    }
  }
  return args;
}

export const serverArgsDef = serverArgs();

function flagsFrom(args: Record<string, unknown>, defs: ArgsDef): Flags {
  const flags: Flags = {};
  for (const name of Object.keys(defs)) {
    const value = args[name];
    if (typeof value === "string" || typeof value === "boolean") flags[name] = value;
  }
  return flags;
}

export const serverCommand = defineCommand({
  meta: { name: "server", description: "Run the MLflow-compatible tracking server (takes `mlflow server`'s flags and MLFLOW_* variables too)" },
  args: serverArgsDef,
  async run({ args, rawArgs }) {
    rejectUnknownFlags(rawArgs, serverArgsDef);
    const config = resolveServerConfig(
      flagsFrom(args, serverArgsDef),
      process.env,
      process.cwd(),
      flagSpellings(rawArgs, serverArgsDef),
    );
    setLogLevel(config.logLevel);
    setLogFormat(config.logFormat);
    for (const notice of config.notices) log[notice.level](notice.message);
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
        () => {
          log.info("stopped");
          process.exit(0);
        },
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
