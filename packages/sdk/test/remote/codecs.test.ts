import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { FromFunction_PersistedValueMutation_MutationType as MutationType } from "@eddy/protocol";
import {
  create,
  decodeFromFunction,
  decodeToFunction,
  encodeFromFunction,
  encodeToFunction,
  TypedValueSchema,
  FromFunction_ExpirationSpec_ExpireMode as ExpireMode,
} from "@eddy/protocol";
import {
  Types,
  address,
  decodeBatchOutcome,
  decodeInvocationBatch,
  defineFunction,
  encodeBatchOutcome,
  encodeInvocationBatch,
  requestReplyHandler,
  typedValue,
} from "@eddy/sdk";
import type { BatchOutcome, InvocationBatch } from "@eddy/sdk";

const STRING = "io.statefun.types/string";
const bytes = (...b: number[]) => new Uint8Array(b);

describe("InvocationBatch ⇄ ToFunction", () => {
  const batch: InvocationBatch = {
    target: address("com.example/fn", "id-1"),
    states: [
      { name: "a", value: typedValue(STRING, bytes(0x0a, 0x01, 0x78)) },
      { name: "empty", value: typedValue(STRING, bytes()) },
      { name: "absent", value: undefined },
    ],
    invocations: [
      { caller: undefined, argument: typedValue("com.example/m", bytes(1, 2)) },
      { caller: address("other.ns/caller", "c"), argument: typedValue("com.example/m", undefined) },
    ],
  };

  it("encodes as StateFun does: split types, name-only absent states, has_value", () => {
    const wire = decodeToFunction(encodeInvocationBatch(batch));
    assert.equal(wire.request.case, "invocation");
    const r = wire.request.value;
    assert.deepEqual([r.target?.namespace, r.target?.type, r.target?.id], ["com.example", "fn", "id-1"]);
    assert.equal(r.state[1]?.stateValue?.hasValue, true);
    assert.equal(r.state[2]?.stateValue, undefined);
    assert.equal(r.invocations[0]?.caller, undefined);
    assert.equal(r.invocations[1]?.caller?.namespace, "other.ns");
    assert.equal(r.invocations[1]?.argument?.hasValue, false);
  });

  it("round-trips", () => {
    assert.deepEqual(decodeInvocationBatch(encodeInvocationBatch(batch)), batch);
  });

  it("rejects garbage with EDDY_PROTOCOL_DECODE", () => {
    assert.throws(() => decodeInvocationBatch(bytes(0xff, 0xff, 0xff)), { code: "EDDY_PROTOCOL_DECODE" });
    assert.throws(() => decodeInvocationBatch(bytes()), /no invocation batch/);
  });
});

describe("BatchOutcome ⇄ FromFunction", () => {
  it("encodes missing specs with mode and TTL (NONE explicit)", () => {
    const wire = decodeFromFunction(
      encodeBatchOutcome({
        kind: "incomplete",
        missing: [
          { name: "a", typename: STRING, expireMode: "none", expireAfterMs: 0 },
          { name: "b", typename: STRING, expireMode: "after-invoke", expireAfterMs: 1500 },
        ],
      }),
    );
    assert.equal(wire.response.case, "incompleteInvocationContext");
    const specs = wire.response.case === "incompleteInvocationContext" ? wire.response.value.missingValues : [];
    assert.deepEqual(
      specs.map((s) => [s.stateName, s.typeTypename, s.expirationSpec?.mode, s.expirationSpec?.expireAfterMillis]),
      [
        ["a", STRING, ExpireMode.NONE, 0n],
        ["b", STRING, ExpireMode.AFTER_INVOKE, 1500n],
      ],
    );
  });

  it("round-trips every effect kind, splitting egress ids at the /", () => {
    const outcome: BatchOutcome = {
      kind: "completed",
      effects: {
        mutations: [
          { kind: "modify", name: "a", value: typedValue(STRING, bytes()) },
          { kind: "delete", name: "b" },
        ],
        messages: [{ target: address("x/y", "1"), argument: typedValue("t/m", bytes(9)) }],
        delayed: [
          { kind: "send", delayMs: 250, target: address("x/y", "2"), argument: typedValue("t/m", bytes(8)), cancellationToken: "tok" },
          { kind: "cancel", cancellationToken: "tok" },
        ],
        egress: [{ egress: "io.example/sink", argument: typedValue("t/e", bytes(7)) }],
      },
    };
    const body = encodeBatchOutcome(outcome);
    const wire = decodeFromFunction(body);
    const r = wire.response.case === "invocationResult" ? wire.response.value : undefined;
    assert.equal(r?.outgoingEgresses[0]?.egressNamespace, "io.example");
    assert.equal(r?.outgoingEgresses[0]?.egressType, "sink");
    assert.equal(r?.delayedInvocations[1]?.isCancellationRequest, true);
    assert.equal(r?.stateMutations[0]?.stateValue?.hasValue, true);
    assert.deepEqual(decodeBatchOutcome(body), outcome);
  });

  it("reads an empty FromFunction as a completed batch without effects", () => {
    assert.deepEqual(decodeBatchOutcome(bytes()), {
      kind: "completed",
      effects: { mutations: [], messages: [], delayed: [], egress: [] },
    });
  });

  it("defaults an empty state type to io.statefun.types/unset and an absent expiration to none", () => {
    const body = encodeFromFunction({
      response: { case: "incompleteInvocationContext", value: { missingValues: [{ stateName: "s" }] } },
    });
    assert.deepEqual(decodeBatchOutcome(body), {
      kind: "incomplete",
      missing: [{ name: "s", typename: "io.statefun.types/unset", expireMode: "none", expireAfterMs: 0 }],
    });
  });

  it("rejects unknown enum values and messages without a target", () => {
    const badMutation = encodeFromFunction({
      response: { case: "invocationResult", value: { stateMutations: [{ mutationType: 9 as MutationType, stateName: "s" }] } },
    });
    assert.throws(() => decodeBatchOutcome(badMutation), { code: "EDDY_PROTOCOL_DECODE", message: /unknown mutation type 9/ });
    const badMode = encodeFromFunction({
      response: {
        case: "incompleteInvocationContext",
        value: { missingValues: [{ stateName: "s", expirationSpec: { mode: 5 as ExpireMode, expireAfterMillis: 1n } }] },
      },
    });
    assert.throws(() => decodeBatchOutcome(badMode), /unknown expiration mode 5/);
    const noTarget = encodeFromFunction({
      response: { case: "invocationResult", value: { outgoingMessages: [{}] } },
    });
    assert.throws(() => decodeBatchOutcome(noTarget), /has no target/);
    assert.throws(() => decodeBatchOutcome(bytes(0xff, 0xff)), /body is not a FromFunction/);
  });
});

describe("requestReplyHandler", () => {
  it("refuses two functions of the same type", () => {
    const f = defineFunction({ typename: "a/b", fn() {} });
    assert.throws(() => requestReplyHandler([f, f]), { code: "EDDY_CONFIG_INVALID" });
  });

  it("runs the function the target names and reads has_value=false state as absent", async () => {
    let seen: unknown = "not called";
    const f = defineFunction({
      typename: "a/b",
      state: { s: Types.string },
      fn(ctx) {
        seen = ctx.storage.s;
      },
    });
    const handler = requestReplyHandler([f]);
    const body = encodeInvocationBatch({
      target: address("a/b", "1"),
      states: [{ name: "s", value: undefined }],
      invocations: [{ caller: undefined, argument: typedValue("t/m", bytes()) }],
    });
    // Turn the name-only state entry into one with has_value=false, as some runtimes send it.
    const wire = decodeToFunction(body);
    if (wire.request.case === "invocation") {
      wire.request.value.state[0]!.stateValue = create(TypedValueSchema, { typename: STRING, hasValue: false });
    }
    const outcome = decodeBatchOutcome(await handler.handle(encodeToFunction(wire)));
    assert.equal(outcome.kind, "completed");
    assert.equal(seen, undefined);
  });
});
