import { pino } from "pino";
import type { Logger } from "pino";

export type { Logger };

/**
 * The runtime logs JSON lines (pino). Every line about one function instance
 * carries `address`; the level comes from EDDY_LOG_LEVEL (default "info").
 */
export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino({
    name: options.name ?? "eddy",
    level: options.level ?? process.env["EDDY_LOG_LEVEL"] ?? "info",
    base: null,
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}

export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
