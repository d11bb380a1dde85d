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
}

/** The key of an address in maps and in the store: type, NUL, id (ids may contain "/"). */
export function addressKey(target: Address): string {
  return `${target.type}\u0000${target.id}`;
}

export function envelope(target: Address, argument: TypedValue, caller: Address | undefined): Envelope {
  return { target, key: addressKey(target), caller, argument, seq: 0 };
}
