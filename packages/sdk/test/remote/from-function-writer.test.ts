// A remote function's FromFunction bytes (a sized writer, no protobuf-es
// messages) are exactly what protobuf-es's create + toBinary write for the same
// outcome: the reference below is the encoder the writer replaced.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  create,
  encodeFromFunction,
  AddressSchema,
  TypedValueSchema,
  FromFunction_DelayedInvocationSchema,
  FromFunction_EgressMessageSchema,
  FromFunction_ExpirationSpec_ExpireMode as WireExpireMode,
  FromFunction_InvocationSchema,
  FromFunction_PersistedValueMutation_MutationType as WireMutationType,
  FromFunction_PersistedValueMutationSchema,
  FromFunction_PersistedValueSpecSchema,
} from "@eddy/protocol";
import { address, decodeBatchOutcome, encodeBatchOutcome, typedValue } from "@eddy/sdk";
import type { Address, BatchOutcome, ExpireMode, StateSpec, TypedValue } from "@eddy/sdk";

function split(typename: string): [string, string] {
  const slash = typename.lastIndexOf("/");
  return slash < 0 ? ["", typename] : [typename.slice(0, slash), typename.slice(slash + 1)];
}

function referenceAddress(a: Address) {
  const [namespace, type] = split(a.type);
  return create(AddressSchema, { namespace, type, id: a.id });
}

function referenceValue(v: TypedValue) {
  return create(TypedValueSchema, { typename: v.typename, hasValue: v.value !== undefined, value: v.value ?? new Uint8Array(0) });
}

const MODES: Record<ExpireMode, WireExpireMode> = { none: WireExpireMode.NONE, "after-write": WireExpireMode.AFTER_WRITE, "after-invoke": WireExpireMode.AFTER_INVOKE };

function referenceSpec(s: StateSpec) {
  return create(FromFunction_PersistedValueSpecSchema, {
    stateName: s.name,
    typeTypename: s.typename,
    expirationSpec: { mode: MODES[s.expireMode], expireAfterMillis: s.expireMode === "none" ? 0n : BigInt(Math.trunc(s.expireAfterMs)) },
  });
}

function reference(outcome: BatchOutcome): Uint8Array {
  if (outcome.kind === "incomplete") {
    return encodeFromFunction({ response: { case: "incompleteInvocationContext", value: { missingValues: outcome.missing.map(referenceSpec) } } });
  }
  const e = outcome.effects;
  return encodeFromFunction({
    response: {
      case: "invocationResult",
      value: {
        stateMutations: e.mutations.map((m) =>
          m.kind === "delete"
            ? create(FromFunction_PersistedValueMutationSchema, { mutationType: WireMutationType.DELETE, stateName: m.name })
            : create(FromFunction_PersistedValueMutationSchema, {
                mutationType: WireMutationType.MODIFY,
                stateName: m.name,
                stateValue: referenceValue({ typename: m.value.typename, value: m.value.value ?? new Uint8Array(0) }),
              }),
        ),
        outgoingMessages: e.messages.map((m) => create(FromFunction_InvocationSchema, { target: referenceAddress(m.target), argument: referenceValue(m.argument) })),
        delayedInvocations: e.delayed.map((d) =>
          d.kind === "cancel"
            ? create(FromFunction_DelayedInvocationSchema, { isCancellationRequest: true, cancellationToken: d.cancellationToken })
            : create(FromFunction_DelayedInvocationSchema, {
                delayInMs: BigInt(Math.trunc(d.delayMs)),
                target: referenceAddress(d.target),
                argument: referenceValue(d.argument),
                cancellationToken: d.cancellationToken,
              }),
        ),
        outgoingEgresses: e.egress.map((r) => {
          const [egressNamespace, egressType] = split(r.egress);
          return create(FromFunction_EgressMessageSchema, { egressNamespace, egressType, argument: referenceValue(r.argument) });
        }),
      },
    },
  });
}

const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

function assertSameBytes(outcome: BatchOutcome): void {
  const written = encodeBatchOutcome(outcome);
  assert.equal(hex(written), hex(reference(outcome)));
  // And the runtime's reader reads it back.
  assert.equal(decodeBatchOutcome(written).kind, outcome.kind);
}

const none = { mutations: [], messages: [], delayed: [], egress: [] };

void describe("FromFunction writer", () => {
  void it("writes what protobuf-es writes for the greeter's outcomes", () => {
    for (let n = 1; n <= 12; n++) {
      assertSameBytes({
        kind: "completed",
        effects: {
          mutations: [{ kind: "modify", name: "visits", value: typedValue("io.statefun.types/int", Uint8Array.of(0x08, n)) }],
          messages: [{ target: address("example/greeter", `key-${n}`), argument: typedValue("example/GreetRequest", new TextEncoder().encode(`{"name":"key-${n}"}`)) }],
          delayed: [],
          egress: [{ egress: "io.statefun.playground/egress", argument: typedValue("io.statefun.playground/EgressRecord", bytes(40 + n)) }],
        },
      });
    }
  });

  void it("writes an empty outcome, deletes, empty and absent values, cancellations and delays as protobuf-es does", () => {
    assertSameBytes({ kind: "completed", effects: none });
    assertSameBytes({
      kind: "completed",
      effects: {
        mutations: [
          { kind: "delete", name: "gone" },
          { kind: "delete", name: "" },
          { kind: "modify", name: "empty", value: typedValue("t/x", new Uint8Array(0)) },
          { kind: "modify", name: "no-bytes", value: typedValue("t/x", undefined) },
          { kind: "modify", name: "", value: typedValue("", Uint8Array.of(1)) },
        ],
        messages: [{ target: { type: "noslash", id: "" }, argument: typedValue("", undefined) }],
        delayed: [
          { kind: "cancel", cancellationToken: "tok" },
          { kind: "cancel", cancellationToken: "" },
          { kind: "send", delayMs: 0, target: address("a/b", "c"), argument: typedValue("a/b", Uint8Array.of(1)), cancellationToken: "" },
          { kind: "send", delayMs: 1500.7, target: address("a/b", "c"), argument: typedValue("a/b", undefined), cancellationToken: "t-1" },
          { kind: "send", delayMs: 2 ** 40, target: address("a/b", "c"), argument: typedValue("a/b", bytes(3)), cancellationToken: "t-2" },
          { kind: "send", delayMs: -5, target: address("a/b", "c"), argument: typedValue("a/b", bytes(1)), cancellationToken: "" },
        ],
        egress: [{ egress: "noslash", argument: typedValue("t/e", undefined) }],
      },
    });
  });

  void it("writes missing state specs with every expiration mode", () => {
    assertSameBytes({ kind: "incomplete", missing: [] });
    assertSameBytes({
      kind: "incomplete",
      missing: [
        { name: "visits", typename: "io.statefun.types/int", expireMode: "none", expireAfterMs: 0 },
        { name: "ttl", typename: "t/x", expireMode: "after-write", expireAfterMs: 60_000 },
        { name: "seen", typename: "t/y", expireMode: "after-invoke", expireAfterMs: 2 ** 45 },
        { name: "", typename: "", expireMode: "after-invoke", expireAfterMs: 0 },
        { name: "zero-ttl", typename: "t/z", expireMode: "none", expireAfterMs: 500 },
      ],
    });
  });

  void it("encodes text as UTF-8 the way TextEncoder does and writes multi-byte lengths", () => {
    for (const text of ["hé", "名前", "😎 and 🤗", "a\uD800b", "\uDC00"]) {
      assertSameBytes({
        kind: "completed",
        effects: {
          mutations: [{ kind: "modify", name: `s${text}`, value: typedValue(`t/${text}`, new TextEncoder().encode(text)) }],
          messages: [{ target: { type: `ns.${text}/fn${text}`, id: text }, argument: typedValue(`m/${text}`, Uint8Array.of(1)) }],
          delayed: [{ kind: "send", delayMs: 10, target: { type: `x/${text}`, id: text }, argument: typedValue(`m/${text}`, undefined), cancellationToken: text }],
          egress: [{ egress: `${text}/${text}`, argument: typedValue(`e/${text}`, Uint8Array.of(2)) }],
        },
      });
    }
    for (const size of [127, 128, 16_383, 16_384, 300_000]) {
      assertSameBytes({
        kind: "completed",
        effects: { ...none, mutations: [{ kind: "modify", name: "blob", value: typedValue("t/blob", bytes(size)) }], egress: [{ egress: "a/b", argument: typedValue("t/e", bytes(size, 3)) }] },
      });
    }
    assertSameBytes({
      kind: "completed",
      effects: {
        mutations: Array.from({ length: 200 }, (_, i) => (i % 4 === 0 ? { kind: "delete" as const, name: `s${i}` } : { kind: "modify" as const, name: `s${i}`, value: typedValue("t/v", bytes(i)) })),
        messages: Array.from({ length: 1000 }, (_, i) => ({ target: address("other/fn", `k${i}`), argument: typedValue("t/m", bytes(i % 50, i)) })),
        delayed: [],
        egress: [],
      },
    });
  });
});
