import type { Address } from "@eddy/sdk";
import { formatAddress } from "@eddy/sdk";
import type { Logger } from "../log/logger.js";

/**
 * A change in how an address is doing: its oldest message started failing, an
 * attempt failed again, it was parked, it recovered, an operator released or
 * dropped its parked message. The processor reports each once; the runtime
 * logs it (one line per change, not one per attempt) and passes it to
 * `RuntimeOptions.onAddressEvent`, which is how tools such as `@eddy/testing`
 * follow failures without reading log lines.
 */
export type AddressEvent =
  | (FailureFields & { readonly kind: "failing"; readonly retryInMs: number; readonly quarantineAfter: number })
  | (FailureFields & { readonly kind: "retrying"; readonly retryInMs: number })
  | (FailureFields & { readonly kind: "parked"; readonly waiting: number })
  | (Where & { readonly kind: "recovered"; readonly attempts: number; readonly waiting: number })
  | (Where & { readonly kind: "released"; readonly waiting: number })
  | (Where & { readonly kind: "dropped"; readonly code: string; readonly error: string; readonly dropped: DroppedMessage });

export type AddressEventKind = AddressEvent["kind"];

interface Where {
  readonly address: Address;
  readonly partition: number;
}

interface FailureFields extends Where {
  /** Failed attempts so far at the address's oldest message. */
  readonly attempt: number;
  /** The EddyError code of the failure (EDDY_FUNCTION_FAILED when the function threw). */
  readonly code: string;
  readonly error: string;
  readonly retryable: boolean;
}

/** The content of a dropped message, kept in its log line because nothing else keeps it. */
export interface DroppedMessage {
  readonly typename: string;
  /** The value in base64; null for a message without one. */
  readonly value: string | null;
  readonly caller: string | null;
  readonly seq: number;
}

/** Writes the event's one log line: warn when an address starts failing, error when it is parked. */
export function logAddressEvent(logger: Logger, event: AddressEvent): void {
  const { kind, address: target, ...rest } = event;
  const address = formatAddress(target);
  const fields = { event: kind, address, ...rest };
  switch (event.kind) {
    case "failing":
      logger.warn(
        fields,
        `${address} is failing: ${event.error}; retrying its oldest message with backoff, parked after ${event.quarantineAfter} attempts`,
      );
      return;
    case "retrying":
      logger.debug(fields, "attempt failed; retrying");
      return;
    case "parked":
      logger.error(
        fields,
        `${address} is parked after ${event.attempt} attempt(s): ${event.error}. Its messages wait; fix the function, then \`eddy quarantine retry ${address}\` (or \`drop\` to discard the message)`,
      );
      return;
    case "recovered":
      logger.info(fields, `${address} recovered: its message succeeded after ${event.attempts} attempt(s); the messages behind it follow`);
      return;
    case "released":
      logger.info(fields, `${address} is released: retrying its parked message`);
      return;
    case "dropped":
      logger.warn(
        fields,
        `${address}: parked message dropped by an operator (its content is in this line, value in base64); the messages behind it proceed`,
      );
      return;
  }
}
