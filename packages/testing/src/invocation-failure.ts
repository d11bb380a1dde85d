/** An invocation the runtime logged as failed (its messages are kept and retried with backoff). */
export interface InvocationFailure {
  /** `namespace/name/id`. */
  readonly address: string;
  readonly attempt: number;
  /** The EddyError code when the failure had one (an undeclared state, an unknown egress, ...). */
  readonly code: string | undefined;
  /** The function's (or the runtime's) error message. */
  readonly message: string;
  /** When the retry is due, in virtual time. */
  readonly retryAt: number;
}

interface LoggedFailure {
  readonly level?: number;
  readonly address?: string;
  readonly attempt?: number;
  readonly code?: string;
  readonly retryInMs?: number;
  readonly err?: { readonly message?: string };
}

/** The failure a runtime log line reports, if it reports one (partition-processor's retry line). */
export function failureOfLogLine(line: string, now: number): InvocationFailure | undefined {
  let entry: LoggedFailure;
  try {
    entry = JSON.parse(line) as LoggedFailure;
  } catch {
    return undefined;
  }
  if ((entry.level ?? 0) < 50 || entry.address === undefined || entry.attempt === undefined) return undefined;
  return {
    address: entry.address,
    attempt: entry.attempt,
    code: entry.code,
    message: entry.err?.message ?? "unknown error",
    retryAt: now + (entry.retryInMs ?? 0),
  };
}
