import { pino } from "pino";
import type { Logger } from "@eddy/runtime";

export interface LogEntry {
  readonly level: number;
  readonly msg: string;
  readonly code?: string;
  readonly address?: string;
  readonly attempt?: number;
  readonly [key: string]: unknown;
}

export interface CapturingLogger {
  readonly logger: Logger;
  /** Every line logged so far, parsed. */
  readonly entries: LogEntry[];
  /** The entries at level error and above. */
  readonly errors: () => LogEntry[];
}

/** A pino logger at debug level whose lines are parsed into `entries`, for scenarios that assert what an operator reads. */
export function capturingLogger(): CapturingLogger {
  const entries: LogEntry[] = [];
  const logger = pino(
    { level: "debug" },
    {
      write(line: string) {
        for (const part of line.split("\n")) if (part.trim() !== "") entries.push(JSON.parse(part) as LogEntry);
      },
    },
  );
  return { logger, entries, errors: () => entries.filter((e) => e.level >= 50) };
}
