/** An invocation the runtime logged as failed (its messages are kept and retried with backoff). */
export interface InvocationFailure {
  /** `namespace/name/id`. */
  readonly address: string;
  readonly attempt: number;
  /** The EddyError code when the failure had one (an undeclared state, an unknown egress, ...). */
  readonly code: string | undefined;
  /** The function's (or the runtime's) error message. */
  readonly message: string;
  /** When the retry is due, in virtual time; Infinity once parked. */
  readonly retryAt: number;
  /** True when the runtime parked the message (quarantine): no retry comes until `runtime.retryQuarantined`. */
  readonly parked: boolean;
}

export interface LoggedFailure {
  readonly level?: number;
  /** The address state change the line reports (partition-processor: failing, retrying, parked, ...). */
  readonly event?: string;
  readonly address?: string;
  readonly attempt?: number;
  readonly code?: string;
  readonly retryInMs?: number;
  readonly error?: string;
}

const FAILURE_EVENTS = new Set(["failing", "retrying", "parked"]);

/** The failure a parsed runtime log line reports, if it reports one (the processor's failing, retrying and parked lines). */
export function failureOfLogEntry(entry: LoggedFailure, now: number): InvocationFailure | undefined {
  if (entry.event === undefined || !FAILURE_EVENTS.has(entry.event) || entry.address === undefined || entry.attempt === undefined) return undefined;
  const parked = entry.event === "parked";
  return {
    address: entry.address,
    attempt: entry.attempt,
    code: entry.code,
    message: entry.error ?? "unknown error",
    retryAt: parked ? Infinity : now + (entry.retryInMs ?? 0),
    parked,
  };
}
