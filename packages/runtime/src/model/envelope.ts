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

/**
 * The most UTF-8 bytes a function type, an address id and a state name may
 * have together: the durable store keys state by all three, and LMDB refuses
 * keys over 1,978 bytes (its key encoding takes a few of them).
 */
export const MAX_STATE_KEY_BYTES = 1_900;

/** Why a state of this name cannot be stored for `target` (its key would be too long), or undefined when it can. */
export function stateKeyProblem(target: Address, name: string): string | undefined {
  // A UTF-16 code unit is at most 3 UTF-8 bytes: the common case needs no byte count.
  if ((target.type.length + target.id.length + name.length) * 3 <= MAX_STATE_KEY_BYTES) return undefined;
  const bytes = Buffer.byteLength(target.type) + Buffer.byteLength(target.id) + Buffer.byteLength(name);
  if (bytes <= MAX_STATE_KEY_BYTES) return undefined;
  return `state "${name.length > 40 ? `${name.slice(0, 40)}…` : name}" (${Buffer.byteLength(name)} bytes) of an address whose type and id take ${bytes - Buffer.byteLength(name)} bytes makes a state key of ${bytes} bytes, more than the store's limit of ${MAX_STATE_KEY_BYTES}; use a shorter state name (or a shorter id)`;
}

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
