import type { Address } from "@eddy/sdk";
import type { Envelope } from "./envelope.js";

/**
 * A parked address: the message that kept failing (it stays in the log under
 * its seq, so it is neither lost nor applied until an operator retries or
 * drops it), why it failed, and when. Stored durably, so a restart resumes
 * with the address still parked.
 */
export interface QuarantineRecord {
  readonly target: Address;
  readonly targetKey: string;
  readonly message: Envelope;
  readonly error: { readonly code: string; readonly message: string; readonly retryable: boolean };
  readonly attempts: number;
  /** Epoch ms. */
  readonly firstFailureAt: number;
  readonly lastFailureAt: number;
}

/** A stored state value as it is on disk, for inspection: bytes, type and expiry. */
export interface StoredStateValue {
  readonly name: string;
  readonly typename: string;
  readonly value: Uint8Array;
  /** Epoch ms after which it reads as absent; 0 = never. */
  readonly expiresAt: number;
}
