import type { LogDestination } from "./logger.js";

/** Where pretty lines go: stdout, or anything with `write` (a test's capture). */
export interface TextSink {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

const LEVELS: Readonly<Record<number, { name: string; color: string }>> = {
  10: { name: "TRACE", color: "\u001b[90m" },
  20: { name: "DEBUG", color: "\u001b[90m" },
  30: { name: "INFO ", color: "\u001b[32m" },
  40: { name: "WARN ", color: "\u001b[33m" },
  50: { name: "ERROR", color: "\u001b[31m" },
  60: { name: "FATAL", color: "\u001b[35m" },
};
const RESET = "\u001b[0m";
const DIM = "\u001b[2m";
/** Fields every line has, shown in the line's head rather than as key=value. */
const HEAD_FIELDS = new Set(["level", "time", "msg", "name", "err"]);
const REPEATED_FIELD_LENGTH = 40;

/**
 * Formats the logger's JSON lines for a person at a terminal: the time (UTC,
 * as in the JSON), the level, the message, then the other fields as
 * `key=value`; an error's stack follows on indented lines. Colours only on a
 * terminal, and never when NO_COLOR is set. Written here rather than taken
 * from pino-pretty: that is fourteen packages and a worker thread for what
 * is a few lines of formatting, and the JSON stays the one source of truth.
 */
export function prettyDestination(out: TextSink, options: { colors?: boolean } = {}): LogDestination {
  const colors = options.colors ?? (out.isTTY === true && process.env["NO_COLOR"] === undefined);
  return {
    write(lines: string) {
      let text = "";
      for (const line of lines.split("\n")) if (line !== "") text += prettyLine(line, colors);
      out.write(text);
    },
  };
}

/** One JSON log line as text (ending in a newline); a line that is not JSON is passed on as it is. */
export function prettyLine(json: string, colors: boolean): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return `${json}\n`;
  }
  const level = LEVELS[entry["level"] as number] ?? { name: String(entry["level"]).padEnd(5), color: "" };
  const time = typeof entry["time"] === "string" ? entry["time"].slice(11, 23) : "";
  const paint = (color: string, s: string) => (colors && color !== "" ? `${color}${s}${RESET}` : s);
  const msg = typeof entry["msg"] === "string" ? entry["msg"] : "";
  let out = `${paint(DIM, time)} ${paint(level.color, level.name)} ${msg}`;
  const fields: string[] = [];
  for (const [key, value] of Object.entries(entry)) {
    if (HEAD_FIELDS.has(key)) continue;
    // A long field the message already says in full (an error text) is left to the JSON format.
    if (typeof value === "string" && value.length > REPEATED_FIELD_LENGTH && msg.includes(value)) continue;
    fields.push(`${key}=${fieldText(value)}`);
  }
  if (fields.length > 0) out += `  ${paint(DIM, fields.join(" "))}`;
  const err = entry["err"] as { message?: unknown; stack?: unknown; code?: unknown } | undefined;
  if (typeof err === "object" && err !== null) {
    // An error with a code (Eddy's, or the system's) says what happened; a stack only for what must be a bug.
    const text = typeof err.code !== "string" && typeof err.stack === "string" ? err.stack : typeof err.message === "string" ? err.message : JSON.stringify(err);
    out += `\n${text.replace(/^/gmu, "    ")}`;
  }
  return `${out}\n`;
}

function fieldText(value: unknown): string {
  if (typeof value === "string") return value !== "" && !/[\s"=]/u.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}
