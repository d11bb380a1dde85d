import type { BinaryReader } from "@bufbuild/protobuf/wire";

/*
 * What both request-reply readers share: reading one length-delimited message
 * field by field, and the Address and TypedValue messages. Reading follows
 * protobuf-es's fromBinary (fields by number whatever their wire type, unknown
 * fields skipped, a singular sub-message merged when it appears again, strict
 * UTF-8), so the readers refuse what it refuses with the same messages.
 */

export interface WireAddressFields {
  namespace: string;
  type: string;
  id: string;
}

export interface WireTypedValueFields {
  typename: string;
  hasValue: boolean;
  value: Uint8Array;
}

const EMPTY = new Uint8Array(0);
const RECURSION_LIMIT = 100;

/** Reads the fields of one length-delimited message; `field` reads a known field and returns false for an unknown one. */
export function readMessage(r: BinaryReader, length: number, depth: number, field: (no: number) => boolean): void {
  if (depth > RECURSION_LIMIT) throw new Error(`maximum recursion depth of ${RECURSION_LIMIT} reached`);
  const end = r.pos + length;
  while (r.pos < end) {
    const [no, wireType] = r.tag();
    if (!field(no)) r.skip(wireType, no, RECURSION_LIMIT - depth);
  }
}

export function readAddress(r: BinaryReader, depth: number, into?: WireAddressFields): WireAddressFields {
  const a = into ?? { namespace: "", type: "", id: "" };
  readMessage(r, r.uint32(), depth, (no) => {
    if (no === 1) a.namespace = r.string(true);
    else if (no === 2) a.type = r.string(true);
    else if (no === 3) a.id = r.string(true);
    else return false;
    return true;
  });
  return a;
}

export function readTypedValue(r: BinaryReader, depth: number, into?: WireTypedValueFields): WireTypedValueFields {
  const v = into ?? { typename: "", hasValue: false, value: EMPTY };
  readMessage(r, r.uint32(), depth, (no) => {
    if (no === 1) v.typename = r.string(true);
    else if (no === 2) v.hasValue = r.bool();
    else if (no === 3) v.value = r.bytes();
    else return false;
    return true;
  });
  return v;
}
