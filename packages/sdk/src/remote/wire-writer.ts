import type { Address } from "../core/address.js";
import type { TypedValue } from "../core/typed-value.js";
import { splitTypeName } from "./wire-values.js";

/*
 * The sized protobuf writer behind the request-reply bodies Eddy writes by hand
 * (ToFunction in the runtime, FromFunction in a remote function): sizes are
 * computed first, then every field is written once into one buffer of the
 * exact size. protobuf-es's reflective create + toBinary cost about as much as
 * the rest of a remote call (docs/performance.md, section 7), and importing it
 * was a third of the runtime's start-up (section 4). Bytes follow protobuf-es:
 * fields in number order, proto3 defaults omitted, present sub-messages
 * written even when empty.
 */

export const LEN = 2;
export const VARINT = 0;

export function varintSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

/** The varint size of an int64 field's value: a negative one is its 64-bit two's complement, 10 bytes. */
export function int64Size(n: bigint): number {
  let rest = BigInt.asUintN(64, n);
  let size = 1;
  while (rest > 0x7fn) {
    rest >>= 7n;
    size++;
  }
  return size;
}

/** UTF-8 length as TextEncoder encodes (a lone surrogate becomes U+FFFD, 3 bytes). */
export function utf8Size(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2; // a pair: 2 code units, 4 bytes
      i++;
    } else n += 2;
  }
  return n;
}

/** A length-delimited field of `size` payload bytes, one-byte tag (fields 1–15). */
export function fieldSize(size: number): number {
  return 1 + varintSize(size) + size;
}

export function stringFieldSize(s: string): number {
  return s === "" ? 0 : fieldSize(utf8Size(s));
}

/** An Address as written: the model's `namespace/name` split as the wire has it. */
export interface WireAddress {
  readonly namespace: string;
  readonly name: string;
  readonly id: string;
  readonly size: number;
}

export function wireAddress(a: Address): WireAddress {
  const { namespace, name } = splitTypeName(a.type);
  return { namespace, name, id: a.id, size: stringFieldSize(namespace) + stringFieldSize(name) + stringFieldSize(a.id) };
}

export function typedValueSize(v: TypedValue): number {
  let size = stringFieldSize(v.typename);
  if (v.value !== undefined) {
    size += 2; // has_value = true
    if (v.value.length > 0) size += fieldSize(v.value.length);
  }
  return size;
}

export class WireWriter {
  readonly bytes: Uint8Array;
  #pos = 0;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
  }

  get position(): number {
    return this.#pos;
  }

  varint(n: number): void {
    const b = this.bytes;
    while (n > 0x7f) {
      b[this.#pos++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    b[this.#pos++] = n;
  }

  /** A varint field (fields 1–15): an enum, an int32 ≥ 0, or a bool as 0/1. */
  varintField(field: number, n: number): void {
    this.bytes[this.#pos++] = (field << 3) | VARINT;
    this.varint(n);
  }

  /** An int64 field (fields 1–15); a negative value is written as 10 bytes, as protobuf does. */
  int64Field(field: number, n: bigint): void {
    this.bytes[this.#pos++] = (field << 3) | VARINT;
    let rest = BigInt.asUintN(64, n);
    while (rest > 0x7fn) {
      this.bytes[this.#pos++] = Number(rest & 0x7fn) | 0x80;
      rest >>= 7n;
    }
    this.bytes[this.#pos++] = Number(rest);
  }

  /** Tag and length of a length-delimited field (fields 1–15). */
  open(field: number, size: number): void {
    this.bytes[this.#pos++] = (field << 3) | LEN;
    this.varint(size);
  }

  string(field: number, s: string): void {
    if (s === "") return;
    this.open(field, utf8Size(s));
    const b = this.bytes;
    for (let i = 0; i < s.length; i++) {
      let c = s.charCodeAt(i);
      if (c < 0x80) {
        b[this.#pos++] = c;
        continue;
      }
      if (c < 0x800) {
        b[this.#pos++] = 0xc0 | (c >> 6);
        b[this.#pos++] = 0x80 | (c & 0x3f);
        continue;
      }
      if (c >= 0xd800 && c <= 0xdfff) {
        const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && (next & 0xfc00) === 0xdc00) {
          const cp = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          b[this.#pos++] = 0xf0 | (cp >> 18);
          b[this.#pos++] = 0x80 | ((cp >> 12) & 0x3f);
          b[this.#pos++] = 0x80 | ((cp >> 6) & 0x3f);
          b[this.#pos++] = 0x80 | (cp & 0x3f);
          i++;
          continue;
        }
        c = 0xfffd; // a lone surrogate, as TextEncoder writes it
      }
      b[this.#pos++] = 0xe0 | (c >> 12);
      b[this.#pos++] = 0x80 | ((c >> 6) & 0x3f);
      b[this.#pos++] = 0x80 | (c & 0x3f);
    }
  }

  address(field: number, a: WireAddress): void {
    this.open(field, a.size);
    this.string(1, a.namespace);
    this.string(2, a.name);
    this.string(3, a.id);
  }

  typedValue(field: number, v: TypedValue, size: number): void {
    this.open(field, size);
    this.string(1, v.typename);
    if (v.value === undefined) return;
    this.bytes[this.#pos++] = (2 << 3) | VARINT;
    this.bytes[this.#pos++] = 1;
    if (v.value.length === 0) return;
    this.open(3, v.value.length);
    this.bytes.set(v.value, this.#pos);
    this.#pos += v.value.length;
  }
}

