/*
 * What each StateFun transport retries, and how long it waits, within one
 * call's budget. The rules differ on purpose: Eddy keeps each endpoint's
 * transport so a function behaves as it did under StateFun.
 */

export type TransportType = "async" | "okhttp";

export type AttemptFailureKind =
  /** Connect, reset, DNS, TLS: the request may not have reached the function. */
  | "io"
  /** No (complete) response within the attempt's time. */
  | "timeout"
  /** A non-2xx status. */
  | "status"
  | "content-type"
  | "too-large"
  /** The body is not protobuf of a FromFunction. */
  | "body"
  /** A well-formed FromFunction that StateFun would fail on when applying it (unknown enum, missing target). */
  | "contents"
  /** The pools were closed for shutdown. */
  | "closed";

export interface AttemptFailure {
  readonly kind: AttemptFailureKind;
  /** Short, for logs and the final error: "HTTP 503", "connection refused", ... */
  readonly reason: string;
  readonly status?: number;
  readonly cause?: unknown;
}

/** OkHttp's RetryingCallback retries these besides every status ≥ 500. */
const OKHTTP_RETRYABLE_STATUS = new Set([408, 409, 420, 429, 499, 500]);

export function isRetryable(transport: TransportType, failure: AttemptFailure): boolean {
  switch (failure.kind) {
    case "closed":
    case "contents":
      // StateFun fails a bad response only when it applies it, after the transport is done.
      return false;
    case "io":
    case "timeout":
      return true;
    case "status":
      return transport === "async" || OKHTTP_RETRYABLE_STATUS.has(failure.status ?? 0) || (failure.status ?? 0) >= 500;
    case "content-type":
    case "too-large":
    case "body":
      return transport === "async";
  }
}

/** Below this much budget neither transport starts another attempt. */
const MIN_BUDGET_MS = 1;

/**
 * How long to wait before the next attempt, or undefined when the budget is
 * spent. async (Netty): 2 ms × 2^failedAttempts, so ≈ 4 ms first; okhttp:
 * 10 ms doubling. Both are capped by what is left of the budget.
 */
export function backoffMs(transport: TransportType, failedAttempts: number, remainingMs: number): number | undefined {
  if (remainingMs <= MIN_BUDGET_MS) return undefined;
  const exponent = Math.min(failedAttempts, 30);
  const delay = transport === "async" ? 2 * 2 ** exponent : 10 * 2 ** (exponent - 1);
  return Math.min(delay, remainingMs);
}

/**
 * The time one attempt may take: what is left of the call budget. Netty gives
 * a late attempt at least a random 7–13 ms so that it is not doomed from the start.
 */
export function attemptTimeoutMs(transport: TransportType, remainingMs: number): number {
  if (transport === "async") return Math.max(remainingMs, 7 + Math.random() * 6);
  return Math.max(remainingMs, MIN_BUDGET_MS);
}
