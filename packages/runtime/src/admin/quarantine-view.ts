import { formatAddress } from "@eddy/sdk";
import type { QuarantineRecord } from "../model/quarantine-record.js";
import { typedPreview } from "./typed-preview.js";
import type { TypedPreview } from "./typed-preview.js";

/** Previews of parked messages show at most this much of a value. */
const PREVIEW_BYTES = 4096;

/** A parked message as the admin API shows it (schema QuarantinedMessage). */
export type QuarantinedMessageView = TypedPreview & { readonly caller: string | null };

/** One parked address (schema Quarantine). */
export interface QuarantineView {
  readonly address: string;
  readonly functionType: string;
  readonly id: string;
  readonly message: QuarantinedMessageView;
  readonly error: { readonly code: string; readonly message: string; readonly retryable: boolean };
  readonly attempts: number;
  readonly firstFailureAt: string;
  readonly lastFailureAt: string;
  readonly waiting: number;
}

export function quarantinedMessageView(record: QuarantineRecord): QuarantinedMessageView {
  const m = record.message;
  return { ...typedPreview(m.argument.typename, m.argument.value, PREVIEW_BYTES), caller: m.caller === undefined ? null : formatAddress(m.caller) };
}

export function quarantineView(record: QuarantineRecord, waiting: number): QuarantineView {
  return {
    address: formatAddress(record.target),
    functionType: record.target.type,
    id: record.target.id,
    message: quarantinedMessageView(record),
    error: record.error,
    attempts: record.attempts,
    firstFailureAt: new Date(record.firstFailureAt).toISOString(),
    lastFailureAt: new Date(record.lastFailureAt).toISOString(),
    waiting,
  };
}
