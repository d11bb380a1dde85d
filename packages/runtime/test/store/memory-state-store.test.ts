import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Types, address } from "@eddy/sdk";
import type { Address, StateMutation, StateSpec, TypedValue } from "@eddy/sdk";
import { MemoryStateStore } from "@eddy/runtime";
import type { CommitUnit } from "@eddy/runtime";

const T = "test/fn";
const spec = (name: string, typename: string, expireMode: StateSpec["expireMode"] = "none", expireAfterMs = 0): StateSpec => ({
  name,
  typename,
  expireMode,
  expireAfterMs,
});
const int = (n: number): TypedValue => ({ typename: Types.int.typename, value: Types.int.serialize(n) });
const keyOf = (a: Address) => `${a.type}\u0000${a.id}`;

function unit(target: Address, invokedAt: number, mutations: StateMutation[]): CommitUnit {
  return {
    target,
    targetKey: keyOf(target),
    functionType: target.type,
    invokedAt,
    consumed: [],
    mutations,
    messages: [],
    delayed: [],
    egress: [],
  };
}

function read(store: MemoryStateStore, target: Address, now: number): Record<string, number | undefined> {
  const out: Record<string, number | undefined> = {};
  for (const e of store.read(target, keyOf(target), now)) out[e.name] = e.value && Types.int.deserialize(e.value.value!);
  return out;
}

describe("MemoryStateStore: spec registration", () => {
  it("keeps the first registration of a name (its TTL never changes) and adds new names", () => {
    const store = new MemoryStateStore();
    assert.deepEqual(store.registerSpecs(T, [spec("a", Types.int.typename, "after-write", 1000)]), []);
    assert.deepEqual(
      store.registerSpecs(T, [spec("a", Types.int.typename, "after-invoke", 5), spec("b", Types.string.typename)]),
      [],
    );
    assert.deepEqual(store.specsOf(T), [spec("a", Types.int.typename, "after-write", 1000), spec("b", Types.string.typename)]);
  });

  it("reports typename conflicts and keeps the registered type", () => {
    const store = new MemoryStateStore();
    store.registerSpecs(T, [spec("a", Types.int.typename)]);
    const conflicting = spec("a", Types.string.typename);
    assert.deepEqual(store.registerSpecs(T, [conflicting, spec("c", Types.bool.typename)]), [conflicting]);
    assert.deepEqual(store.specsOf(T), [spec("a", Types.int.typename), spec("c", Types.bool.typename)]);
  });

  it("scopes specs per function type", () => {
    const store = new MemoryStateStore();
    store.registerSpecs("test/one", [spec("a", Types.int.typename)]);
    assert.deepEqual(store.registerSpecs("test/two", [spec("a", Types.string.typename)]), []);
    assert.deepEqual(store.specsOf("test/unknown"), []);
  });
});

describe("MemoryStateStore: reads and commits", () => {
  it("reads every registered spec, in registration order, undefined where there is no value", () => {
    const store = new MemoryStateStore();
    const x = address(T, "x");
    store.registerSpecs(T, [spec("b", Types.int.typename), spec("a", Types.int.typename)]);
    assert.deepEqual(store.read(x, keyOf(x), 0), [
      { name: "b", value: undefined },
      { name: "a", value: undefined },
    ]);
    store.commit(unit(x, 0, [{ kind: "modify", name: "a", value: int(5) }]));
    assert.deepEqual(store.read(x, keyOf(x), 0), [
      { name: "b", value: undefined },
      { name: "a", value: int(5) },
    ]);
    store.registerSpecs(T, [spec("c", Types.int.typename)]);
    assert.deepEqual(read(store, x, 0), { b: undefined, a: 5, c: undefined });
  });

  it("applies modify and delete, per address", () => {
    const store = new MemoryStateStore();
    const x = address(T, "x");
    const y = address(T, "y");
    store.registerSpecs(T, [spec("a", Types.int.typename), spec("b", Types.int.typename)]);
    store.commit(unit(x, 0, [{ kind: "modify", name: "a", value: int(1) }, { kind: "modify", name: "b", value: int(2) }]));
    store.commit(unit(y, 0, [{ kind: "modify", name: "a", value: int(9) }]));
    store.commit(unit(x, 1, [{ kind: "delete", name: "a" }]));
    assert.deepEqual(read(store, x, 1), { a: undefined, b: 2 });
    assert.deepEqual(read(store, y, 1), { a: 9, b: undefined });
    assert.equal(store.addressCount, 2);
    store.commit(unit(x, 2, [{ kind: "delete", name: "b" }]));
    assert.equal(store.addressCount, 1, "an address without values is dropped");
    // deleting what is not there is harmless
    store.commit(unit(address(T, "z"), 3, [{ kind: "delete", name: "a" }]));
    assert.equal(store.addressCount, 1);
  });

  it("keeps the same id under two function types apart", () => {
    const store = new MemoryStateStore();
    const one = address("test/one", "same");
    const two = address("test/two", "same");
    store.registerSpecs("test/one", [spec("a", Types.int.typename)]);
    store.registerSpecs("test/two", [spec("a", Types.int.typename)]);
    store.commit(unit(one, 0, [{ kind: "modify", name: "a", value: int(1) }]));
    assert.deepEqual(read(store, two, 0), { a: undefined });
  });

  it("expires after-write values TTL ms after the last write", () => {
    const store = new MemoryStateStore();
    const x = address(T, "x");
    store.registerSpecs(T, [spec("a", Types.int.typename, "after-write", 100)]);
    store.commit(unit(x, 1000, [{ kind: "modify", name: "a", value: int(1) }]));
    store.commit(unit(x, 1050, [])); // an invocation that does not write
    assert.equal(read(store, x, 1099).a, 1);
    assert.equal(read(store, x, 1100).a, undefined);
    store.commit(unit(x, 1200, [{ kind: "modify", name: "a", value: int(2) }]));
    assert.equal(read(store, x, 1299).a, 2);
  });

  it("refreshes after-invoke values on every commit of the address, not once expired", () => {
    const store = new MemoryStateStore();
    const x = address(T, "x");
    store.registerSpecs(T, [spec("a", Types.int.typename, "after-invoke", 100), spec("n", Types.int.typename)]);
    store.commit(unit(x, 0, [{ kind: "modify", name: "a", value: int(1) }, { kind: "modify", name: "n", value: int(1) }]));
    store.commit(unit(x, 90, []));
    store.commit(unit(x, 180, []));
    assert.equal(read(store, x, 279).a, 1);
    assert.equal(read(store, x, 280).a, undefined);
    store.commit(unit(x, 300, [])); // too late: it stays expired
    assert.equal(read(store, x, 301).a, undefined);
    assert.equal(read(store, x, 1_000_000).n, 1, "states without TTL never expire");
  });

  it("close drops every value", () => {
    const store = new MemoryStateStore();
    const x = address(T, "x");
    store.registerSpecs(T, [spec("a", Types.int.typename)]);
    store.commit(unit(x, 0, [{ kind: "modify", name: "a", value: int(1) }]));
    store.close();
    assert.equal(store.addressCount, 0);
    assert.deepEqual(read(store, x, 0), { a: undefined });
  });
});
