import { EddyError } from "./errors.js";
import { isValidTypeName, parseTypeName } from "./type-name.js";

/**
 * The address of one function instance: its function type (`namespace/name`)
 * and an id. Messages to one address are processed one at a time, in order,
 * and each address owns its own persisted state.
 */
export interface Address {
  /** The function type, `namespace/name`. */
  readonly type: string;
  readonly id: string;
}

export function address(type: string, id: string): Address {
  if (!isValidTypeName(type)) parseTypeName(type);
  if (typeof id !== "string") {
    throw new EddyError("EDDY_INVALID_ADDRESS", `address id for ${type} must be a string, got ${typeof id}`);
  }
  return { type, id };
}

/** `namespace/name/id`, the form used in logs and in the playground ingress path. */
export function formatAddress(a: Address): string {
  return `${a.type}/${a.id}`;
}

export function sameAddress(a: Address | undefined, b: Address | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.type === b.type && a.id === b.id;
}
