import type { InvocationBatch } from "../function/invocation-batch.js";
import { fieldSize, LEN, stringFieldSize, typedValueSize, varintSize, wireAddress, WireWriter } from "./wire-writer.js";
import type { WireAddress } from "./wire-writer.js";

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

/** Field 100 (ToFunction.invocation), length-delimited: varint 802. */
const INVOCATION_TAG_BYTES = 2;

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
  const w = new WireWriter(INVOCATION_TAG_BYTES + varintSize(request) + request);
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
