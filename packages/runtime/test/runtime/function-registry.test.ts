import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Types, defineFunction, isEddyError } from "@eddy/sdk";
import { FunctionRegistry, Runtime, silentLogger } from "@eddy/runtime";
import type { FunctionInvoker, FunctionProvider } from "@eddy/runtime";

function provider(description: string, calls: string[] = []): FunctionProvider {
  return (type) => {
    calls.push(type);
    const invoker: FunctionInvoker = {
      description: `${description} for ${type}`,
      stateSpecs: [],
      maxBacklog: 0,
      invoke: () => ({ kind: "completed", effects: { mutations: [], messages: [], delayed: [], egress: [] } }),
    };
    return invoker;
  };
}

describe("FunctionRegistry", () => {
  it("prefers ns/name over ns/*, whatever the binding order", () => {
    for (const order of ["specific first", "wildcard first"]) {
      const registry = new FunctionRegistry();
      const bindings: [string, FunctionProvider][] = [
        ["shop/cart", provider("specific")],
        ["shop/*", provider("wildcard")],
      ];
      if (order === "wildcard first") bindings.reverse();
      for (const [pattern, p] of bindings) registry.bind(pattern, p);
      assert.equal(registry.resolve("shop/cart")?.description, "specific for shop/cart", order);
      assert.equal(registry.resolve("shop/checkout")?.description, "wildcard for shop/checkout", order);
      assert.equal(registry.resolve("other/cart"), undefined, order);
    }
  });

  it("asks a wildcard provider once per concrete type and caches the invoker", () => {
    const calls: string[] = [];
    const registry = new FunctionRegistry();
    registry.bind("shop/*", provider("wildcard", calls));
    const first = registry.resolve("shop/a");
    assert.equal(registry.resolve("shop/a"), first);
    registry.resolve("shop/b");
    assert.deepEqual(calls, ["shop/a", "shop/b"]);
  });

  it("forgets a cached miss when a later binding covers the type", () => {
    const registry = new FunctionRegistry();
    assert.equal(registry.resolve("late/fn"), undefined);
    registry.bind("late/*", provider("late"));
    assert.equal(registry.resolve("late/fn")?.description, "late for late/fn");
  });

  it("does not let a namespace binding cover an invalid type name", () => {
    const registry = new FunctionRegistry();
    registry.bind("ab/*", provider("wildcard"));
    assert.equal(registry.resolve("abc"), undefined, "no slash");
    assert.equal(registry.resolve("ab"), undefined);
    assert.equal(registry.resolve("ab/c/d"), undefined, "two slashes");
    assert.equal(registry.resolve("ab/"), undefined, "empty name");
    assert.equal(registry.resolve("ab/c")?.description, "wildcard for ab/c");
  });

  it("reports a duplicate binding with both sources", () => {
    const registry = new FunctionRegistry();
    registry.bind("shop/cart", provider("one"), "module.yaml:12");
    assert.throws(
      () => registry.bind("shop/cart", provider("two"), "module.yaml:30"),
      (e: unknown) =>
        isEddyError(e, "EDDY_CONFIG_INVALID") && e.message.includes("module.yaml:12") && e.message.includes("module.yaml:30"),
    );
    registry.bind("shop/*", provider("ns"), "a.yaml:1");
    assert.throws(() => registry.bind("shop/*", provider("ns"), "b.yaml:2"), /bound twice: at a\.yaml:1 and at b\.yaml:2/);
    assert.deepEqual(registry.patterns.sort(), ["shop/*", "shop/cart"]);
  });

  for (const bad of ["", "cart", "/cart", "shop/", "a/b/c", "/*", "*", "a/*/*", "*/b", "a/b*", "a*/*", "a/**"]) {
    it(`rejects the pattern ${JSON.stringify(bad)}`, () => {
      const registry = new FunctionRegistry();
      assert.throws(
        () => registry.bind(bad, provider("x")),
        (e: unknown) => isEddyError(e, "EDDY_CONFIG_INVALID") && /not a valid function pattern/.test(e.message),
      );
    });
  }
});

describe("Runtime function binding", () => {
  it("refuses to bind the same function type twice", () => {
    const runtime = new Runtime({ logger: silentLogger() });
    const fn = defineFunction({ typename: "test/dup", fn() {} });
    runtime.bindFunction(fn, { source: "first.ts" });
    assert.throws(() => runtime.bindFunction(fn, { source: "second.ts" }), /first\.ts.*second\.ts/);
  });

  it("refuses bindings after start", async () => {
    const runtime = new Runtime({ logger: silentLogger() });
    await runtime.start();
    assert.throws(
      () => runtime.bindFunction(defineFunction({ typename: "test/late", fn() {} })),
      (e: unknown) => isEddyError(e, "EDDY_CONFIG_INVALID"),
    );
    await runtime.stop();
  });

  it("registers an embedded function's states with the store when the type is first resolved", () => {
    const runtime = new Runtime({ logger: silentLogger() });
    runtime.bindFunction(defineFunction({ typename: "test/stateful", state: { n: Types.int }, fn() {} }));
    assert.ok(runtime.functions.resolve("test/stateful"));
    assert.deepEqual(runtime.store.specsOf("test/stateful").map((s) => s.name), ["n"]);
  });

  it("reports a function whose state type conflicts with the registered one", () => {
    const runtime = new Runtime({ logger: silentLogger() });
    runtime.store.registerSpecs("test/stateful", [
      { name: "n", typename: Types.string.typename, expireMode: "none", expireAfterMs: 0 },
    ]);
    runtime.bindFunction(defineFunction({ typename: "test/stateful", state: { n: Types.int }, fn() {} }));
    assert.throws(() => runtime.functions.resolve("test/stateful"), (e: unknown) => isEddyError(e, "EDDY_TYPE_MISMATCH"));
  });
});
