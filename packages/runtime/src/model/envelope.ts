import type { Address, TypedValue } from "@eddy/sdk";

/**
 * A message inside the runtime, on its way to `target`. `caller` is the sending
 * function (undefined for ingress messages). `key` caches the address key, the
 * string that identifies the target instance in maps and in the store.
 */
export interface Envelope {
  readonly target: Address;
  readonly key: string;
  readonly caller: Address | undefined;
  readonly argument: TypedValue;
  /** Position in the store's durable log; 0 while the message is not logged (memory store). */
  seq: number;
  /**
   * The W3C traceparent of the span that sent it, kept (and stored) with the
   * message so one request's cascade is one trace; undefined when tracing is off.
   */
  trace?: string | undefined;
}

/**
 * The longest address id the runtime takes, in UTF-8 bytes. The durable store
 * keys state by (type, id, state name) and LMDB keys end at ~1.9 KB, so a longer
 * id could be accepted but never committed.
 */
export const MAX_ADDRESS_ID_BYTES = 1024;

/** Why an address cannot be stored, or undefined when it can. */
export function addressProblem(target: Address): string | undefined {
  const bytes = Buffer.byteLength(target.id, "utf8");
  if (bytes > MAX_ADDRESS_ID_BYTES) return `address id of ${bytes} bytes is longer than the limit of ${MAX_ADDRESS_ID_BYTES} bytes`;
  return undefined;
}

/** The key of an address in maps and in the store: type, NUL, id (ids may contain "/"). */
export function addressKey(target: Address): string {
  return `${target.type}\u0000${target.id}`;
}

export function envelope(target: Address, argument: TypedValue, caller: Address | undefined): Envelope {
  return { target, key: addressKey(target), caller, argument, seq: 0, trace: undefined };
}
