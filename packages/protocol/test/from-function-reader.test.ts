// readFromFunction (the runtime's FromFunction decoder, no protobuf-es
// messages) reads every body the way protobuf-es's fromBinary does: the same
// fields for valid bodies, the same refusals for bad ones.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { decodeFromFunction, encodeFromFunction, ProtocolDecodeError, readFromFunction } from "@eddy/protocol";
import type { FromFunction_ExpirationSpec_ExpireMode as ExpireMode, FromFunction_PersistedValueMutation_MutationType as MutationType } from "@eddy/protocol";
import type { MessageInitShape, FromFunctionSchema } from "@eddy/protocol";

/** Plain data for comparison: no protobuf-es bookkeeping, bytes as hex, int64 as text. */
function plain(value: unknown): unknown {
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

function both(bytes: Uint8Array): { reference: Read; reader: Read } {
  const run = (f: () => unknown): Read => {
    try {
      return { ok: true, value: plain(f()) };
    } catch (error) {
      assert.ok(error instanceof ProtocolDecodeError, `not a ProtocolDecodeError: ${String(error)}`);
      return { ok: false, message: error.message };
    }
  };
  return { reference: run(() => decodeFromFunction(bytes).response), reader: run(() => readFromFunction(bytes)) };
}

function assertSameRead(bytes: Uint8Array): void {
  const { reference, reader } = both(bytes);
  assert.deepEqual(reader, reference, `bytes ${Buffer.from(bytes).toString("hex")}`);
}

const tv = (typename: string, value?: number[]) => ({ typename, hasValue: value !== undefined, value: Uint8Array.from(value ?? []) });
const addr = (namespace: string, type: string, id: string) => ({ namespace, type, id });

const bodies: MessageInitShape<typeof FromFunctionSchema>[] = [
  {},
  { response: { case: "invocationResult", value: {} } },
  {
    response: {
      case: "invocationResult",
      value: {
        stateMutations: [
          { mutationType: 1, stateName: "visits", stateValue: tv("io.statefun.types/int", [8, 7]) },
          { mutationType: 0, stateName: "gone" },
          { mutationType: 1, stateName: "empty", stateValue: tv("t/x", []) },
          { mutationType: 7 as MutationType, stateName: "unknown-kind" },
        ],
        outgoingMessages: [{ target: addr("example", "greeter", "key-7"), argument: tv("example/GreetRequest", [123, 125]) }, { argument: tv("a/b") }],
        delayedInvocations: [
          { delayInMs: 1500n, target: addr("a", "b", "c"), argument: tv("a/b", [1]), cancellationToken: "tok" },
          { isCancellationRequest: true, cancellationToken: "tok" },
          { delayInMs: -5n, target: addr("名", "前", "😎") },
          { delayInMs: 9_007_199_254_740_993n },
        ],
        outgoingEgresses: [{ egressNamespace: "io.statefun.playground", egressType: "egress", argument: tv("io.statefun.playground/EgressRecord", Array.from({ length: 300 }, (_, i) => i & 0xff)) }],
      },
    },
  },
  {
    response: {
      case: "incompleteInvocationContext",
      value: {
        missingValues: [
          { stateName: "visits", typeTypename: "io.statefun.types/int" },
          { stateName: "ttl", typeTypename: "t/x", expirationSpec: { mode: 1, expireAfterMillis: 60_000n } },
          { stateName: "odd", expirationSpec: { mode: 9 as ExpireMode, expireAfterMillis: -1n } },
        ],
      },
    },
  },
];

void describe("readFromFunction", () => {
  void it("reads what protobuf-es reads for valid bodies", () => {
    for (const body of bodies) assertSameRead(encodeFromFunction(body));
  });

  void it("skips unknown fields and merges repeated singular sub-messages and oneof cases as protobuf-es does", () => {
    const result = encodeFromFunction(bodies[2]!);
    const incomplete = encodeFromFunction(bodies[3]!);
    // An unknown varint field 5, fixed64 field 6, length-delimited field 7, fixed32 field 8, a group 9, then the body.
    const unknown = Uint8Array.of(0x28, 0x96, 0x01, 0x31, 1, 2, 3, 4, 5, 6, 7, 8, 0x3a, 2, 0xaa, 0xbb, 0x45, 1, 2, 3, 4, 0x4b, 0x08, 0x01, 0x4c);
    assertSameRead(Buffer.concat([unknown, result]));
    assertSameRead(Buffer.concat([result, result]));
    assertSameRead(Buffer.concat([result, incomplete]));
    assertSameRead(Buffer.concat([incomplete, incomplete, result]));
    // One mutation whose state_value comes in two parts (typename, then has_value and value): merged.
    assertSameRead(Uint8Array.of(0xa2, 0x06, 0x12, 0x0a, 0x10, 0x08, 0x01, 0x1a, 0x05, 0x0a, 0x03, 0x61, 0x2f, 0x62, 0x1a, 0x05, 0x10, 0x01, 0x1a, 0x01, 0x01));
    // One outgoing message whose target comes in two parts (namespace, then id): merged.
    assertSameRead(Uint8Array.of(0xa2, 0x06, 0x0c, 0x12, 0x0a, 0x0a, 0x03, 0x0a, 0x01, 0x6e, 0x0a, 0x03, 0x1a, 0x01, 0x69));
  });

  void it("refuses what protobuf-es refuses: truncated bodies, bad tags, invalid UTF-8", () => {
    const result = encodeFromFunction(bodies[2]!);
    for (let cut = 1; cut < result.length; cut += 7) assertSameRead(result.subarray(0, cut));
    assertSameRead(Uint8Array.of(0x00));
    assertSameRead(Uint8Array.of(0x07));
    assertSameRead(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff));
    // InvocationResponse { outgoing_egresses { egress_namespace: 0xff 0xfe } }
    assertSameRead(Uint8Array.of(0xa2, 0x06, 6, 0x22, 4, 0x0a, 2, 0xff, 0xfe));
  });

  void it("agrees with protobuf-es on random bytes and random corruptions of valid bodies", () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff) / 0x7fffffff);
    const valid = bodies.map((b) => encodeFromFunction(b)).filter((b) => b.length > 0);
    for (let i = 0; i < 2_000; i++) {
      const body = Uint8Array.from(valid[i % valid.length]!);
      for (let flips = 1 + Math.floor(random() * 3); flips > 0; flips--) body[Math.floor(random() * body.length)] = Math.floor(random() * 256);
      assertSameRead(body);
      assertSameRead(Uint8Array.from({ length: 1 + Math.floor(random() * 40) }, () => Math.floor(random() * 256)));
    }
  });
});
