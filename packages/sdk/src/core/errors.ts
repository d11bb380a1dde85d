/**
 * Every error Eddy raises on purpose carries a stable string `code`, so callers
 * and logs can branch on it without parsing messages. docs/errors.md lists them.
 */
export const ERROR_CODES = [
  "EDDY_INVALID_TYPENAME",
  "EDDY_INVALID_ADDRESS",
  "EDDY_INVALID_STATE_NAME",
  "EDDY_TYPE_MISMATCH",
  "EDDY_DECODE_FAILED",
  "EDDY_UNKNOWN_STATE",
  "EDDY_TOO_MANY_STATES",
  "EDDY_UNKNOWN_FUNCTION",
  "EDDY_UNKNOWN_EGRESS",
  "EDDY_INVALID_EGRESS_RECORD",
  "EDDY_INVALID_DELAY",
  "EDDY_DUPLICATE_CANCELLATION_TOKEN",
  "EDDY_REMOTE_CALL_FAILED",
  "EDDY_INVOCATION_FAILED",
  "EDDY_FUNCTION_FAILED",
  "EDDY_CONFIG_INVALID",
  "EDDY_SHUTTING_DOWN",
  "EDDY_OVERLOADED",
  "EDDY_LISTEN_FAILED",
  "EDDY_PROTOCOL_DECODE",
  "EDDY_STORE_INVALID",
  "EDDY_STORE_LOCKED",
  "EDDY_STORE_FAILED",
  "EDDY_CLUSTER_FAILED",
  "EDDY_ADMIN_NOT_FOUND",
  "EDDY_ADMIN_METHOD_NOT_ALLOWED",
  "EDDY_ADMIN_BAD_REQUEST",
  "EDDY_ADMIN_FAILED",
  "EDDY_NOT_READY",
  "EDDY_ADDRESS_NOT_FOUND",
  "EDDY_NOT_QUARANTINED",
  "EDDY_PARTITION_NOT_HERE",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface EddyErrorOptions {
  /** True when trying the same thing again may succeed (a network blip, not a bug). */
  readonly retryable?: boolean;
  readonly cause?: unknown;
}

export class EddyError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: EddyErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "EddyError";
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/** True for any error raised by Eddy with the given code. */
export function isEddyError(error: unknown, code?: ErrorCode): error is EddyError {
  return error instanceof EddyError && (code === undefined || error.code === code);
}
