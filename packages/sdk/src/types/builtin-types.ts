import { EddyError } from "../core/errors.js";
import type { Type } from "./type.js";
import { readField1, utf8Decoder, utf8Encoder, varintLength, writeVarint } from "./wire.js";

/*
 * StateFun's built-in types (package io.statefun.sdk.types). Each value is the
 * serialized wrapper message with the payload in field 1, so the default value
 * (false, 0, "") serializes to zero bytes, exactly as protobuf does.
 */

const EMPTY = new Uint8Array(0);

function expectWireType(typename: string, got: number, want: number): void {
  if (got !== want) {
    throw new EddyError(
      "EDDY_DECODE_FAILED",
      `cannot decode ${typename}: field 1 has wire type ${got}, expected ${want}`,
    );
  }
}

export const BOOL_TYPENAME = "io.statefun.types/bool";
export const INT_TYPENAME = "io.statefun.types/int";
export const LONG_TYPENAME = "io.statefun.types/long";
export const FLOAT_TYPENAME = "io.statefun.types/float";
export const DOUBLE_TYPENAME = "io.statefun.types/double";
export const STRING_TYPENAME = "io.statefun.types/string";

const boolType: Type<boolean> = {
  typename: BOOL_TYPENAME,
  serialize: (v) => (v ? Uint8Array.of(0x08, 0x01) : EMPTY),
  deserialize(bytes) {
    const f = readField1(bytes, BOOL_TYPENAME);
    if (f === undefined) return false;
    expectWireType(BOOL_TYPENAME, f.wireType, 0);
    return f.varint !== 0;
  },
};

/** A 32-bit signed integer (protobuf sfixed32: tag 0x0D and 4 little-endian bytes). */
const intType: Type<number> = {
  typename: INT_TYPENAME,
  serialize(v) {
    if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) {
      throw new EddyError("EDDY_TYPE_MISMATCH", `${INT_TYPENAME} holds 32-bit integers; ${v} is not one`);
    }
    if (v === 0) return EMPTY;
    const out = new Uint8Array(5);
    out[0] = 0x0d;
    new DataView(out.buffer).setInt32(1, v, true);
    return out;
  },
  deserialize(bytes) {
    const f = readField1(bytes, INT_TYPENAME);
    if (f === undefined) return 0;
    expectWireType(INT_TYPENAME, f.wireType, 5);
    return new DataView(bytes.buffer, bytes.byteOffset + f.start, 4).getInt32(0, true);
  },
};

/** A 64-bit signed integer as a bigint (protobuf sfixed64: tag 0x09 and 8 little-endian bytes). */
const longType: Type<bigint> = {
  typename: LONG_TYPENAME,
  serialize(v) {
    if (typeof v !== "bigint" || v < -(2n ** 63n) || v >= 2n ** 63n) {
      throw new EddyError("EDDY_TYPE_MISMATCH", `${LONG_TYPENAME} holds 64-bit integers as bigint; ${String(v)} is not one`);
    }
    if (v === 0n) return EMPTY;
    const out = new Uint8Array(9);
    out[0] = 0x09;
    new DataView(out.buffer).setBigInt64(1, v, true);
    return out;
  },
  deserialize(bytes) {
    const f = readField1(bytes, LONG_TYPENAME);
    if (f === undefined) return 0n;
    expectWireType(LONG_TYPENAME, f.wireType, 1);
    return new DataView(bytes.buffer, bytes.byteOffset + f.start, 8).getBigInt64(0, true);
  },
};

const floatType: Type<number> = {
  typename: FLOAT_TYPENAME,
  serialize(v) {
    if (Object.is(v, 0)) return EMPTY;
    const out = new Uint8Array(5);
    out[0] = 0x0d;
    new DataView(out.buffer).setFloat32(1, v, true);
    return out;
  },
  deserialize(bytes) {
    const f = readField1(bytes, FLOAT_TYPENAME);
    if (f === undefined) return 0;
    expectWireType(FLOAT_TYPENAME, f.wireType, 5);
    return new DataView(bytes.buffer, bytes.byteOffset + f.start, 4).getFloat32(0, true);
  },
};

const doubleType: Type<number> = {
  typename: DOUBLE_TYPENAME,
  serialize(v) {
    if (Object.is(v, 0)) return EMPTY;
    const out = new Uint8Array(9);
    out[0] = 0x09;
    new DataView(out.buffer).setFloat64(1, v, true);
    return out;
  },
  deserialize(bytes) {
    const f = readField1(bytes, DOUBLE_TYPENAME);
    if (f === undefined) return 0;
    expectWireType(DOUBLE_TYPENAME, f.wireType, 1);
    return new DataView(bytes.buffer, bytes.byteOffset + f.start, 8).getFloat64(0, true);
  },
};

const stringType: Type<string> = {
  typename: STRING_TYPENAME,
  serialize(v) {
    if (v.length === 0) return EMPTY;
    const text = utf8Encoder.encode(v);
    const out = new Uint8Array(1 + varintLength(text.length) + text.length);
    out[0] = 0x0a;
    const at = writeVarint(out, 1, text.length);
    out.set(text, at);
    return out;
  },
  deserialize(bytes) {
    const f = readField1(bytes, STRING_TYPENAME);
    if (f === undefined) return "";
    expectWireType(STRING_TYPENAME, f.wireType, 2);
    try {
      return utf8Decoder.decode(bytes.subarray(f.start, f.end));
    } catch (cause) {
      throw new EddyError("EDDY_DECODE_FAILED", `cannot decode ${STRING_TYPENAME}: not valid UTF-8`, { cause });
    }
  },
};

/** StateFun's built-in value types, with the exact byte encodings of the official SDKs. */
export const Types = {
  bool: boolType,
  int: intType,
  long: longType,
  float: floatType,
  double: doubleType,
  string: stringType,
} as const;
