/**
 * Leveled logging to stderr, so stdout stays free for command output (`fml db check`, ...).
 */

export type LogLevel = "debug" | "info" | "warn" | "error";
const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

let threshold: number = order.info;
let json = false;

export function setLogLevel(level: LogLevel): void {
  threshold = order[level];
}

/** `json` writes one object a line (`time`, `level`, `msg`), for log collectors. */
export function setLogFormat(format: "text" | "json"): void {
  json = format === "json";
}

export function isLogLevel(value: string): value is LogLevel {
  return value in order;
}

function write(level: LogLevel, message: string): void {
  if (order[level] < threshold) return;
  const time = new Date().toISOString();
  process.stderr.write(
    json
      ? `${JSON.stringify({ time, level, msg: message })}\n`
      : `${time} ${level.toUpperCase()} ${message}\n`,
  );
}

export const log = {
  debug: (message: string) => write("debug", message),
  info: (message: string) => write("info", message),
  warn: (message: string) => write("warn", message),
  error: (message: string) => write("error", message),
};
