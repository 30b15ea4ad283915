/**
 * `fml server`: flags built from the settings table (so `--help` names every variable that sets
 * a flag), configuration resolved, then the server started and stopped on SIGTERM/SIGINT.
 */

import { defineCommand, type ArgDef, type ArgsDef } from "citty";
import type { Flags } from "../config.ts";
import { log, setLogFormat, setLogLevel } from "../log.ts";
import { resolveServerConfig } from "../server-config.ts";
import { serverSettings, type Setting } from "../server-settings.ts";
import { startServer, type StartedServer } from "../server/start.ts";
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
    // Handlers first: a SIGTERM that arrives while the schema is upgraded waits for start-up to
    // finish, then stops the server like any other.
    let running: StartedServer | undefined;
    let signalled: string | undefined;
    const stop = (): void => {
      if (!running || !signalled) return;
      log.info(`${signalled} received: finishing in-flight requests`);
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
    const onSignal = (signal: string) => () => {
      if (signalled && !running) {
        log.warn(`${signal} received again during start-up: exiting now`);
        process.exit(1);
      }
      if (signalled) return;
      signalled = signal;
      if (!running) log.info(`${signal} received during start-up: stopping once started (send it again to exit now)`);
      stop();
    };
    process.on("SIGTERM", onSignal("SIGTERM"));
    process.on("SIGINT", onSignal("SIGINT"));
    // Logs go to stderr only (journald, docker logs): there is no file to reopen.
    process.on("SIGHUP", () => log.info("SIGHUP received: logs go to stderr, nothing to reopen"));
    running = await startServer(config);
    stop();
  },
});
