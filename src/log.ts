/**
 * Leveled logging to stderr, so stdout stays free for command output (`fml db check`, ...).
 */

export type LogLevel = "debug" | "info" | "warn" | "error";
const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

let threshold: number = order.info;

export function setLogLevel(level: LogLevel): void {
  threshold = order[level];
}

export function isLogLevel(value: string): value is LogLevel {
  return value in order;
}

function write(level: LogLevel, message: string): void {
  if (order[level] < threshold) return;
  process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase()} ${message}\n`);
}

export const log = {
  debug: (message: string) => write("debug", message),
  info: (message: string) => write("info", message),
  warn: (message: string) => write("warn", message),
  error: (message: string) => write("error", message),
};
