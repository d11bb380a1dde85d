import { pino } from "pino";
import type { Logger } from "pino";
import { EddyError } from "@eddy/sdk";
import { prettyDestination } from "./pretty-destination.js";

export type { Logger };

/** `json`: one JSON object a line (for machines); `pretty`: one readable line per entry (for a terminal). */
export const LOG_FORMATS = ["json", "pretty"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/**
 * The runtime logs through pino. Every line about one function instance
 * carries `address`; the level comes from EDDY_LOG_LEVEL (default "info").
 * `format: "pretty"` turns each line into readable text (written to
 * `destination`, or stdout); the default is JSON.
 */
export function createLogger(
  options: { level?: string; name?: string; destination?: LogDestination; format?: LogFormat } = {},
): Logger {
  const level = options.level ?? process.env["EDDY_LOG_LEVEL"] ?? "info";
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    const from = options.level === undefined ? "EDDY_LOG_LEVEL" : "the log level";
    throw new EddyError("EDDY_CONFIG_INVALID", `${from} must be one of ${LOG_LEVELS.join(", ")}; got "${level}"`);
  }
  const settings = {
    name: options.name ?? "eddy",
    level,
    base: null,
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  const destination = options.format === "pretty" ? prettyDestination(options.destination ?? process.stdout) : options.destination;
  return destination === undefined ? pino(settings) : pino(settings, destination);
}

/** Where log lines go instead of stdout: each call gets one or more lines. */
export interface LogDestination {
  write(lines: string): void;
}

export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
