import { formatAddress } from "@eddy/sdk";
import type { AddressEvent } from "@eddy/runtime";

/** An invocation the runtime reported as failed (its messages are kept and retried with backoff). */
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

/** The failure an address event reports, if it reports one (failing, retrying, parked). */
export function failureOfAddressEvent(event: AddressEvent, now: number): InvocationFailure | undefined {
  if (event.kind !== "failing" && event.kind !== "retrying" && event.kind !== "parked") return undefined;
  const parked = event.kind === "parked";
  return {
    address: formatAddress(event.address),
    attempt: event.attempt,
    code: event.code,
    message: event.error,
    retryAt: parked ? Infinity : now + event.retryInMs,
    parked,
  };
}
