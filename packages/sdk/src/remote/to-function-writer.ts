import type { Address } from "../core/address.js";
import type { TypedValue } from "../core/typed-value.js";
import type { InvocationBatch } from "../function/invocation-batch.js";
import { splitTypeName } from "./wire-values.js";

/*
 * InvocationBatch → ToFunction bytes without building protobuf messages: the
 * runtime encodes one of these per remote call, and protobuf-es's reflective
 * create + toBinary cost about as much as the rest of the call's encoding and
 * HTTP work in the runtime (docs/performance.md, section 7). Sizes are computed
 * first, then every field is written once into one buffer of the exact size.
 *
 * The bytes are those protobuf-es writes for the same batch (fields in number
 * order, proto3 defaults — empty strings and bytes, `has_value: false` —
 * omitted, present sub-messages written even when empty);
 * test/remote/to-function-writer.test.ts compares the two.
 */

const LEN = 2;
const VARINT = 0;
/** Field 100 (ToFunction.invocation), length-delimited: varint 802. */
const INVOCATION_TAG_BYTES = 2;

function varintSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

/** UTF-8 length as TextEncoder encodes (a lone surrogate becomes U+FFFD, 3 bytes). */
function utf8Size(s: string): number {
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
function fieldSize(size: number): number {
  return 1 + varintSize(size) + size;
}

function stringFieldSize(s: string): number {
  return s === "" ? 0 : fieldSize(utf8Size(s));
}

/** An Address as written: the model's `namespace/name` split as the wire has it. */
interface WireAddress {
  readonly namespace: string;
  readonly name: string;
  readonly id: string;
  readonly size: number;
}

function wireAddress(a: Address): WireAddress {
  const { namespace, name } = splitTypeName(a.type);
  return { namespace, name, id: a.id, size: stringFieldSize(namespace) + stringFieldSize(name) + stringFieldSize(a.id) };
}

function typedValueSize(v: TypedValue): number {
  let size = stringFieldSize(v.typename);
  if (v.value !== undefined) {
    size += 2; // has_value = true
    if (v.value.length > 0) size += fieldSize(v.value.length);
  }
  return size;
}

class Writer {
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

/** Serializes a batch as the body of a request to a remote function (ToFunction with an invocation batch). */
export function writeToFunction(batch: InvocationBatch): Uint8Array {
  const target = wireAddress(batch.target);
  // Sizes of the nested messages, computed once: [state, its value] per state, then [invocation, caller, argument] per invocation.
  const sizes: number[] = [];
  const callers: (WireAddress | undefined)[] = [];
  let request = fieldSize(target.size);
  for (const s of batch.states) {
    const valueSize = s.value === undefined ? 0 : typedValueSize(s.value);
    const size = stringFieldSize(s.name) + (s.value === undefined ? 0 : fieldSize(valueSize));
    sizes.push(size, valueSize);
    request += fieldSize(size);
  }
  for (const inv of batch.invocations) {
    const caller = inv.caller === undefined ? undefined : wireAddress(inv.caller);
    const argumentSize = typedValueSize(inv.argument);
    const size = (caller === undefined ? 0 : fieldSize(caller.size)) + fieldSize(argumentSize);
    callers.push(caller);
    sizes.push(size, argumentSize);
    request += fieldSize(size);
  }
  const w = new Writer(INVOCATION_TAG_BYTES + varintSize(request) + request);
  w.varint((100 << 3) | LEN);
  w.varint(request);
  w.address(1, target);
  let k = 0;
  for (const s of batch.states) {
    w.open(2, sizes[k++]!);
    w.string(1, s.name);
    const valueSize = sizes[k++]!;
    if (s.value !== undefined) w.typedValue(2, s.value, valueSize);
  }
  for (let i = 0; i < batch.invocations.length; i++) {
    const inv = batch.invocations[i]!;
    w.open(3, sizes[k++]!);
    const caller = callers[i];
    if (caller !== undefined) w.address(1, caller);
    w.typedValue(2, inv.argument, sizes[k++]!);
  }
  if (w.position !== w.bytes.length) throw new Error(`ToFunction writer sized ${w.bytes.length} bytes but wrote ${w.position}`);
  return w.bytes;
}
