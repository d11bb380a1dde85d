// readToFunction (a remote function's ToFunction decoder, no protobuf-es
// messages) reads every body the way protobuf-es's fromBinary does: the same
// fields for valid bodies, the same refusals for bad ones.
import { describe, it } from "node:test";
import { decodeToFunction, encodeToFunction } from "@eddy/protocol";
import type { MessageInitShape, ToFunctionSchema } from "@eddy/protocol";
import { readToFunction } from "@eddy/protocol/wire";
import { assertSameRead, corruptedAndRandomBodies, UNKNOWN_FIELDS } from "./same-read.js";

function assertSame(bytes: Uint8Array): void {
  assertSameRead(bytes, (b) => decodeToFunction(b).request, readToFunction);
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
    for (const body of bodies) assertSame(encodeToFunction(body));
  });

  void it("skips unknown fields and merges repeated singular sub-messages as protobuf-es does", () => {
    const batch = encodeToFunction(bodies[2]!);
    assertSame(Buffer.concat([UNKNOWN_FIELDS, batch]));
    assertSame(Buffer.concat([batch, batch]));
    // A batch whose target comes in two parts (namespace, then id): merged.
    assertSame(Uint8Array.of(0xa2, 0x06, 0x0a, 0x0a, 0x03, 0x0a, 0x01, 0x6e, 0x0a, 0x03, 0x1a, 0x01, 0x69));
  });

  void it("refuses what protobuf-es refuses: truncated bodies, bad tags, invalid UTF-8", () => {
    const batch = encodeToFunction(bodies[2]!);
    for (let cut = 1; cut < batch.length; cut += 5) assertSame(batch.subarray(0, cut));
    assertSame(Uint8Array.of(0x00));
    assertSame(Uint8Array.of(0x07));
    assertSame(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff));
    // InvocationBatchRequest { state { state_name: 0xff 0xfe } }
    assertSame(Uint8Array.of(0xa2, 0x06, 6, 0x12, 4, 0x0a, 2, 0xff, 0xfe));
  });

  void it("agrees with protobuf-es on random bytes and random corruptions of valid bodies", () => {
    const valid = bodies.map((b) => encodeToFunction(b)).filter((b) => b.length > 0);
    for (const body of corruptedAndRandomBodies(valid, 7)) assertSame(body);
  });
});
