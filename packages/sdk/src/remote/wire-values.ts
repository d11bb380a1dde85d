import type { WireAddressFields, WireTypedValueFields } from "@eddy/protocol/wire";
import type { Address } from "../core/address.js";
import type { TypedValue } from "../core/typed-value.js";

/*
 * The model keeps a function type as one `namespace/name` string and an absent
 * value as `undefined`; the wire splits the type in two and marks absence with
 * `has_value`. These helpers are the only place the two meet.
 */

/** Splits `namespace/name` at the last "/", as the official SDKs do. */
export function splitTypeName(typename: string): { namespace: string; name: string } {
  const slash = typename.lastIndexOf("/");
  return slash < 0
    ? { namespace: "", name: typename }
    : { namespace: typename.slice(0, slash), name: typename.slice(slash + 1) };
}

export function fromWireAddress(a: WireAddressFields): Address {
  return { type: `${a.namespace}/${a.type}`, id: a.id };
}

/** An unset TypedValue reads like one without a value. */
export function fromWireTypedValue(v: WireTypedValueFields | undefined): TypedValue {
  if (v === undefined) return { typename: "", value: undefined };
  return { typename: v.typename, value: v.hasValue ? v.value : undefined };
}
