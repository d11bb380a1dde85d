import { isEddyError } from "../core/errors.js";

/** Longest error text sent back to the runtime: enough to diagnose, too short to leak a stack. */
const MAX_ERROR_TEXT = 500;

/** The short body of a 500 response: the error's code and message, never its stack. */
export function errorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const text = isEddyError(error) ? `${error.code}: ${message}` : message;
  return text.length > MAX_ERROR_TEXT ? `${text.slice(0, MAX_ERROR_TEXT)}…` : text;
}
