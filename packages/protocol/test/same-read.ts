// What the two reader tests share: comparing a hand-written reader with protobuf-es's fromBinary.
import assert from "node:assert/strict";
import { ProtocolDecodeError } from "@eddy/protocol";

/** Plain data for comparison: no protobuf-es bookkeeping, bytes as hex, int64 as text. */
export function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString("hex");
  if (typeof value === "bigint") return `${value}n`;
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    // An unset sub-message: protobuf-es leaves the key out, the reader sets it to undefined.
    for (const [k, v] of Object.entries(value)) if (k !== "$typeName" && k !== "$unknown" && v !== undefined) out[k] = plain(v);
    return out;
  }
  return value;
}

type Read = { ok: true; value: unknown } | { ok: false; message: string };

function run(f: () => unknown): Read {
  try {
    return { ok: true, value: plain(f()) };
  } catch (error) {
    assert.ok(error instanceof ProtocolDecodeError, `not a ProtocolDecodeError: ${String(error)}`);
    return { ok: false, message: error.message };
  }
}

/** Asserts that `reader` reads `bytes` as `reference` does: the same fields, or the same refusal. */
export function assertSameRead(bytes: Uint8Array, reference: (b: Uint8Array) => unknown, reader: (b: Uint8Array) => unknown): void {
  assert.deepEqual(run(() => reader(bytes)), run(() => reference(bytes)), `bytes ${Buffer.from(bytes).toString("hex")}`);
}

/** Random corruptions of valid bodies and random bytes (a seeded generator, so a failure repeats). */
export function corruptedAndRandomBodies(valid: readonly Uint8Array[], seed: number, count = 2_000): Uint8Array[] {
  let state = seed;
  const random = () => ((state = (state * 1_103_515_245 + 12_345) & 0x7fffffff) / 0x7fffffff);
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const body = Uint8Array.from(valid[i % valid.length]!);
    for (let flips = 1 + Math.floor(random() * 3); flips > 0; flips--) body[Math.floor(random() * body.length)] = Math.floor(random() * 256);
    out.push(body, Uint8Array.from({ length: 1 + Math.floor(random() * 40) }, () => Math.floor(random() * 256)));
  }
  return out;
}

/** An unknown varint field 5, fixed64 field 6, length-delimited field 7, fixed32 field 8 and a group 9. */
export const UNKNOWN_FIELDS = Uint8Array.of(0x28, 0x96, 0x01, 0x31, 1, 2, 3, 4, 5, 6, 7, 8, 0x3a, 2, 0xaa, 0xbb, 0x45, 1, 2, 3, 4, 0x4b, 0x08, 0x01, 0x4c);
