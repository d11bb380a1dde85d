import { EddyError } from "../core/errors.js";

/*
 * The few protobuf wire primitives the built-in wrapper types need. The SDK
 * encodes its primitives by hand so that function authors pull in no protobuf
 * library; golden tests pin the bytes to StateFun's wrapper messages.
 */

export const utf8Encoder = new TextEncoder();
export const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

export function varintLength(n: number): number {
  let len = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

export function writeVarint(out: Uint8Array, offset: number, n: number): number {
  while (n >= 0x80) {
    out[offset++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  out[offset++] = n;
  return offset;
}

/** One field of a wrapper message: field number 1 is the only one the wrappers define. */
export interface WireField {
  readonly field: number;
  readonly wireType: number;
  /** For varint fields: the value (up to 2^53). For length-delimited and fixed: the byte range. */
  readonly varint: number;
  readonly start: number;
  readonly end: number;
}

/**
 * Returns the last occurrence of field 1 (protobuf's "last one wins"), skipping
 * unknown fields, or undefined when the field is absent (the default value).
 */
export function readField1(bytes: Uint8Array, typename: string): WireField | undefined {
  let pos = 0;
  let found: WireField | undefined;
  const fail = (why: string): never => {
    throw new EddyError("EDDY_DECODE_FAILED", `cannot decode ${typename} from ${bytes.length} bytes: ${why}`);
  };
  const readVarint = (): number => {
    let result = 0;
    let shift = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= bytes.length) fail("truncated varint");
      const b = bytes[pos++]!;
      result += (b & 0x7f) * shift;
      if (b < 0x80) return result;
      shift *= 128;
    }
    return fail("varint longer than 10 bytes");
  };
  while (pos < bytes.length) {
    const key = readVarint();
    const field = Math.floor(key / 8);
    const wireType = key & 7;
    let varint = 0;
    let start = pos;
    switch (wireType) {
      case 0:
        varint = readVarint();
        break;
      case 1:
        pos += 8;
        break;
      case 2: {
        const len = readVarint();
        start = pos;
        pos += len;
        break;
      }
      case 5:
        pos += 4;
        break;
      default:
        fail(`unsupported wire type ${wireType}`);
    }
    if (pos > bytes.length) fail("truncated field");
    if (field === 1) found = { field, wireType, varint, start, end: pos };
  }
  return found;
}
