// readToFunction (a remote function's ToFunction decoder, no protobuf-es
// messages) reads every body the way protobuf-es's fromBinary does: the same
// fields for valid bodies, the same refusals for bad ones.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { decodeToFunction, encodeToFunction, ProtocolDecodeError } from "@eddy/protocol";
import type { MessageInitShape, ToFunctionSchema } from "@eddy/protocol";
import { readToFunction } from "@eddy/protocol/wire";

/** Plain data for comparison: no protobuf-es bookkeeping, bytes as hex. */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString("hex");
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

function assertSameRead(bytes: Uint8Array): void {
  const run = (f: () => unknown): Read => {
    try {
      return { ok: true, value: plain(f()) };
    } catch (error) {
      assert.ok(error instanceof ProtocolDecodeError, `not a ProtocolDecodeError: ${String(error)}`);
      return { ok: false, message: error.message };
    }
  };
  const reference = run(() => decodeToFunction(bytes).request);
  const reader = run(() => readToFunction(bytes));
  assert.deepEqual(reader, reference, `bytes ${Buffer.from(bytes).toString("hex")}`);
}

const tv = (typename: string, value?: number[]) => ({ typename, hasValue: value !== undefined, value: Uint8Array.from(value ?? []) });
const addr = (namespace: string, type: string, id: string) => ({ namespace, type, id });

const bodies: MessageInitShape<typeof ToFunctionSchema>[] = [
  {},
  { request: { case: "invocation", value: {} } },
  {
    request: {
      case: "invocation",
      value: {
        target: addr("example", "greeter", "key-7"),
        state: [
          { stateName: "visits", stateValue: tv("io.statefun.types/int", [8, 7]) },
          { stateName: "absent" },
          { stateName: "empty", stateValue: tv("t/x", []) },
          { stateName: "名前", stateValue: tv("😎/x", Array.from({ length: 300 }, (_, i) => i & 0xff)) },
        ],
        invocations: [
          { argument: tv("example/GreetRequest", [123, 125]) },
          { caller: addr("example", "person", "Ann"), argument: tv("example/GreetRequest", [1]) },
          { caller: addr("", "", "") },
        ],
      },
    },
  },
];

void describe("readToFunction", () => {
  void it("reads what protobuf-es reads for valid bodies", () => {
    for (const body of bodies) assertSameRead(encodeToFunction(body));
  });

  void it("skips unknown fields and merges repeated singular sub-messages as protobuf-es does", () => {
    const batch = encodeToFunction(bodies[2]!);
    // An unknown varint field 5, fixed64 field 6, length-delimited field 7, fixed32 field 8, a group 9, then the body.
    const unknown = Uint8Array.of(0x28, 0x96, 0x01, 0x31, 1, 2, 3, 4, 5, 6, 7, 8, 0x3a, 2, 0xaa, 0xbb, 0x45, 1, 2, 3, 4, 0x4b, 0x08, 0x01, 0x4c);
    assertSameRead(Buffer.concat([unknown, batch]));
    assertSameRead(Buffer.concat([batch, batch]));
    // A batch whose target comes in two parts (namespace, then id): merged.
    assertSameRead(Uint8Array.of(0xa2, 0x06, 0x0a, 0x0a, 0x03, 0x0a, 0x01, 0x6e, 0x0a, 0x03, 0x1a, 0x01, 0x69));
  });

  void it("refuses what protobuf-es refuses: truncated bodies, bad tags, invalid UTF-8", () => {
    const batch = encodeToFunction(bodies[2]!);
    for (let cut = 1; cut < batch.length; cut += 5) assertSameRead(batch.subarray(0, cut));
    assertSameRead(Uint8Array.of(0x00));
    assertSameRead(Uint8Array.of(0x07));
    assertSameRead(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff));
    // InvocationBatchRequest { state { state_name: 0xff 0xfe } }
    assertSameRead(Uint8Array.of(0xa2, 0x06, 6, 0x12, 4, 0x0a, 2, 0xff, 0xfe));
  });

  void it("agrees with protobuf-es on random bytes and random corruptions of valid bodies", () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff) / 0x7fffffff);
    const valid = bodies.map((b) => encodeToFunction(b)).filter((b) => b.length > 0);
    for (let i = 0; i < 2_000; i++) {
      const body = Uint8Array.from(valid[i % valid.length]!);
      for (let flips = 1 + Math.floor(random() * 3); flips > 0; flips--) body[Math.floor(random() * body.length)] = Math.floor(random() * 256);
      assertSameRead(body);
      assertSameRead(Uint8Array.from({ length: 1 + Math.floor(random() * 40) }, () => Math.floor(random() * 256)));
    }
  });
});
