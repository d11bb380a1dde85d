import { pino } from "pino";
import type { Logger } from "pino";

export type { Logger };

/**
 * The runtime logs JSON lines (pino). Every line about one function instance
 * carries `address`; the level comes from EDDY_LOG_LEVEL (default "info").
 */
export function createLogger(options: { level?: string; name?: string; destination?: LogDestination } = {}): Logger {
  const settings = {
    name: options.name ?? "eddy",
    level: options.level ?? process.env["EDDY_LOG_LEVEL"] ?? "info",
    base: null,
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return options.destination === undefined ? pino(settings) : pino(settings, options.destination);
}

/** Where log lines go instead of stdout: each call gets one or more JSON lines. */
export interface LogDestination {
  write(lines: string): void;
}

export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
