import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Types, address, decodeBatchOutcome, defineFunction, encodeInvocationBatch, fetchHandler, typedValue } from "@eddy/sdk";

const greeter = defineFunction({
  typename: "com.example/greeter",
  state: { seen: Types.int },
  fn(ctx) {
    ctx.storage.seen = (ctx.storage.seen ?? 0) + 1;
  },
});

const INT = "io.statefun.types/int";

function request(body: Uint8Array): Request {
  return new Request("http://functions.local/any/path", { method: "POST", body });
}

describe("fetchHandler", () => {
  const handle = fetchHandler([greeter]);

  it("answers a ToFunction with a 200 octet-stream FromFunction", async () => {
    const body = encodeInvocationBatch({
      target: address("com.example/greeter", "ann"),
      states: [{ name: "seen", value: typedValue(INT, Types.int.serialize(41)) }],
      invocations: [{ caller: undefined, argument: typedValue("com.example/hi", new Uint8Array(0)) }],
    });
    const response = await handle(request(body));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "application/octet-stream");
    const outcome = decodeBatchOutcome(new Uint8Array(await response.arrayBuffer()));
    assert.equal(outcome.kind, "completed");
    assert.deepEqual(outcome.kind === "completed" ? outcome.effects.mutations : [], [
      { kind: "modify", name: "seen", value: typedValue(INT, Types.int.serialize(42)) },
    ]);
  });

  it("answers an unknown function type with a 500 and a short text", async () => {
    const body = encodeInvocationBatch({
      target: address("com.example/nobody", "x"),
      states: [],
      invocations: [{ caller: undefined, argument: typedValue("com.example/hi", new Uint8Array(0)) }],
    });
    const response = await handle(request(body));
    assert.equal(response.status, 500);
    assert.match(await response.text(), /EDDY_UNKNOWN_FUNCTION: no function of type com\.example\/nobody/);
  });

  it("answers a body that is not a ToFunction with a 500", async () => {
    const response = await handle(request(new Uint8Array(8).fill(0xff)));
    assert.equal(response.status, 500);
    assert.match(await response.text(), /EDDY_PROTOCOL_DECODE/);
  });
});
