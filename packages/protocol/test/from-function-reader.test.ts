// readFromFunction (the runtime's FromFunction decoder, no protobuf-es
// messages) reads every body the way protobuf-es's fromBinary does: the same
// fields for valid bodies, the same refusals for bad ones.
import { describe, it } from "node:test";
import { decodeFromFunction, encodeFromFunction, readFromFunction } from "@eddy/protocol";
import { assertSameRead, corruptedAndRandomBodies, UNKNOWN_FIELDS } from "./same-read.js";
import type { FromFunction_ExpirationSpec_ExpireMode as ExpireMode, FromFunction_PersistedValueMutation_MutationType as MutationType } from "@eddy/protocol";
import type { MessageInitShape, FromFunctionSchema } from "@eddy/protocol";

function assertSame(bytes: Uint8Array): void {
  assertSameRead(bytes, (b) => decodeFromFunction(b).response, readFromFunction);
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
    for (const body of bodies) assertSame(encodeFromFunction(body));
  });

  void it("skips unknown fields and merges repeated singular sub-messages and oneof cases as protobuf-es does", () => {
    const result = encodeFromFunction(bodies[2]!);
    const incomplete = encodeFromFunction(bodies[3]!);
    assertSame(Buffer.concat([UNKNOWN_FIELDS, result]));
    assertSame(Buffer.concat([result, result]));
    assertSame(Buffer.concat([result, incomplete]));
    assertSame(Buffer.concat([incomplete, incomplete, result]));
    // One mutation whose state_value comes in two parts (typename, then has_value and value): merged.
    assertSame(Uint8Array.of(0xa2, 0x06, 0x12, 0x0a, 0x10, 0x08, 0x01, 0x1a, 0x05, 0x0a, 0x03, 0x61, 0x2f, 0x62, 0x1a, 0x05, 0x10, 0x01, 0x1a, 0x01, 0x01));
    // One outgoing message whose target comes in two parts (namespace, then id): merged.
    assertSame(Uint8Array.of(0xa2, 0x06, 0x0c, 0x12, 0x0a, 0x0a, 0x03, 0x0a, 0x01, 0x6e, 0x0a, 0x03, 0x1a, 0x01, 0x69));
  });

  void it("refuses what protobuf-es refuses: truncated bodies, bad tags, invalid UTF-8", () => {
    const result = encodeFromFunction(bodies[2]!);
    for (let cut = 1; cut < result.length; cut += 7) assertSame(result.subarray(0, cut));
    assertSame(Uint8Array.of(0x00));
    assertSame(Uint8Array.of(0x07));
    assertSame(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff));
    // InvocationResponse { outgoing_egresses { egress_namespace: 0xff 0xfe } }
    assertSame(Uint8Array.of(0xa2, 0x06, 6, 0x22, 4, 0x0a, 2, 0xff, 0xfe));
  });

  void it("agrees with protobuf-es on random bytes and random corruptions of valid bodies", () => {
    const valid = bodies.map((b) => encodeFromFunction(b)).filter((b) => b.length > 0);
    for (const body of corruptedAndRandomBodies(valid, 42)) assertSame(body);
  });
});
