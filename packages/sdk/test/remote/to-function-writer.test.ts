// The runtime's ToFunction bytes (a sized writer, no protobuf-es messages) are
// exactly what protobuf-es's create + toBinary write for the same batch: the
// reference below is the encoder the writer replaced.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { create, encodeToFunction, TypedValueSchema, AddressSchema, ToFunction_InvocationSchema, ToFunction_PersistedValueSchema } from "@eddy/protocol";
import { address, encodeInvocationBatch, typedValue } from "@eddy/sdk";
import type { Address, InvocationBatch, TypedValue } from "@eddy/sdk";

function referenceAddress(a: Address) {
  const slash = a.type.lastIndexOf("/");
  const [namespace, type] = slash < 0 ? ["", a.type] : [a.type.slice(0, slash), a.type.slice(slash + 1)];
  return create(AddressSchema, { namespace, type, id: a.id });
}

function referenceValue(v: TypedValue) {
  return create(TypedValueSchema, { typename: v.typename, hasValue: v.value !== undefined, value: v.value ?? new Uint8Array(0) });
}

function reference(batch: InvocationBatch): Uint8Array {
  return encodeToFunction({
    request: {
      case: "invocation",
      value: {
        target: referenceAddress(batch.target),
        state: batch.states.map((s) =>
          create(ToFunction_PersistedValueSchema, { stateName: s.name, ...(s.value === undefined ? {} : { stateValue: referenceValue(s.value) }) }),
        ),
        invocations: batch.invocations.map((inv) =>
          create(ToFunction_InvocationSchema, { ...(inv.caller === undefined ? {} : { caller: referenceAddress(inv.caller) }), argument: referenceValue(inv.argument) }),
        ),
      },
    },
  });
}

const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

function assertSameBytes(batch: InvocationBatch): void {
  assert.equal(Buffer.from(encodeInvocationBatch(batch)).toString("hex"), Buffer.from(reference(batch)).toString("hex"));
}

void describe("ToFunction writer", () => {
  void it("writes what protobuf-es writes for the playground greeter's batches", () => {
    for (let n = 1; n <= 12; n++) {
      assertSameBytes({
        target: address("example/person", `key-${n}`),
        states: [{ name: "visits", value: typedValue("io.statefun.types/int", Uint8Array.of(0x08, n)) }],
        invocations: Array.from({ length: n }, () => ({ caller: undefined, argument: typedValue("example/GreetRequest", new TextEncoder().encode(`{"name":"key-${n}"}`)) })),
      });
    }
  });

  void it("omits what proto3 omits: empty strings, empty bytes, absent values; keeps present empty sub-messages", () => {
    // Raw addresses: the writer must not depend on what address() validates.
    assertSameBytes({ target: { type: "", id: "" }, states: [], invocations: [{ caller: { type: "/", id: "" }, argument: typedValue("", undefined) }] });
    assertSameBytes({
      target: { type: "noslash", id: "id" },
      states: [
        { name: "", value: undefined },
        { name: "absent", value: undefined },
        { name: "empty", value: typedValue("a/b", new Uint8Array(0)) },
        { name: "unnamed-type", value: typedValue("", Uint8Array.of(1)) },
      ],
      invocations: [
        { caller: undefined, argument: typedValue("a/b", new Uint8Array(0)) },
        { caller: { type: "x.y/z", id: "" }, argument: typedValue("a/b", undefined) },
      ],
    });
  });

  void it("encodes text as UTF-8 the way TextEncoder does, lone surrogates included", () => {
    for (const text of ["hé", "名前", "😎 and 🤗", "a\uD800b", "\uDC00", "end\uD83D", "\u07FF\u0800\uFFFF"]) {
      assertSameBytes({
        target: { type: `ns.${text}/fn${text}`, id: `id-${text}` },
        states: [{ name: `s${text}`, value: typedValue(`t/${text}`, Uint8Array.of(1)) }],
        invocations: [{ caller: { type: `c/${text}`, id: text }, argument: typedValue(`m/${text}`, new TextEncoder().encode(text)) }],
      });
    }
  });

  void it("writes multi-byte lengths for large values, many states and many invocations", () => {
    for (const size of [127, 128, 16_383, 16_384, 300_000]) {
      assertSameBytes({ target: address("big/fn", "k"), states: [{ name: "blob", value: typedValue("t/blob", bytes(size)) }], invocations: [{ caller: undefined, argument: typedValue("t/m", bytes(size, 7)) }] });
    }
    assertSameBytes({
      target: address("many/fn", "k"),
      states: Array.from({ length: 200 }, (_, i) => ({ name: `state-${i}`, value: i % 3 === 0 ? undefined : typedValue("t/v", bytes(i)) })),
      invocations: Array.from({ length: 1000 }, (_, i) => ({ caller: i % 2 === 0 ? undefined : address("other/caller", `c${i}`), argument: typedValue("t/m", bytes(i % 50, i)) })),
    });
  });
});
