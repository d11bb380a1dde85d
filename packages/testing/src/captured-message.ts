import type { Address, TypedValue } from "@eddy/sdk";

/** A message one function sent to another, as the sending invocation completed. */
export interface CapturedMessage {
  readonly from: Address;
  readonly to: Address;
  readonly value: TypedValue;
  /** Set for `ctx.sendAfter`: the delay asked for, in ms. */
  readonly delayMs?: number;
  /** Set for `ctx.sendAfter` with a cancellation token. */
  readonly cancellationToken?: string;
  /** Virtual time of the sending invocation. */
  readonly at: number;
}
