import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  Message,
  Types,
  address,
  defineFunction,
  egressMessage,
  isEddyError,
  isStatefulFunction,
  jsonType,
  stringMessage,
} from "@eddy/sdk";
import type {
  Address,
  BatchOutcome,
  ErrorCode,
  FunctionHandler,
  Invocation,
  InvocationBatch,
  InvocationEffects,
  StateDeclarations,
  StateEntry,
  TypedValue,
} from "@eddy/sdk";

const self = address("test/counter", "c1");
const str = (s: string): TypedValue => ({ typename: Types.string.typename, value: Types.string.serialize(s) });
const int = (n: number): TypedValue => ({ typename: Types.int.typename, value: Types.int.serialize(n) });
const inv = (text: string, caller?: Address): Invocation => ({ caller, argument: str(text) });

function batch(states: StateEntry[], invocations: Invocation[], target: Address = self): InvocationBatch {
  return { target, states, invocations };
}

function assertSync(result: BatchOutcome | Promise<BatchOutcome>): BatchOutcome {
  assert.ok(!(result instanceof Promise), "expected a synchronous outcome");
  return result;
}

function effectsOf(outcome: BatchOutcome): InvocationEffects {
  assert.equal(outcome.kind, "completed");
  if (outcome.kind !== "completed") throw new Error("unreachable");
  return outcome.effects;
}

function throwsCode(fn: () => unknown, code: ErrorCode): void {
  assert.throws(fn, (e: unknown) => isEddyError(e, code), `expected ${code}`);
}

describe("defineFunction", () => {
  it("fails the batch when the function assigns a state it never declared, instead of losing the write", () => {
    const f = defineFunction({
      typename: "test/counter",
      state: { count: Types.int },
      fn(ctx) {
        (ctx.storage as Record<string, unknown>)["cuont"] = 1;
      },
    });
    assert.throws(() => f.invoke(batch([{ name: "count", value: undefined }], [inv("x")])), TypeError);
  });

  it("describes the function: typename, state specs, brand", () => {
    const f = defineFunction({ typename: "test/counter", state: { count: Types.int }, fn() {} });
    assert.equal(f.typename, "test/counter");
    assert.equal(isStatefulFunction(f), true);
    assert.equal(isStatefulFunction({ typename: "test/counter" }), false);
    assert.deepEqual(f.stateSpecs, [{ name: "count", typename: Types.int.typename, expireMode: "none", expireAfterMs: 0 }]);
    assert.throws(() => defineFunction({ typename: "counter", fn() {} }), /not a valid type name/);
  });

  it("runs a batch in order on one state view and returns only the final mutation", () => {
    const seen: { text: string; count: number | undefined; caller: Address | undefined }[] = [];
    const f = defineFunction({
      typename: "test/counter",
      state: { count: Types.int, label: Types.string, untouched: Types.string },
      fn(ctx, msg) {
        seen.push({ text: msg.asString(), count: ctx.storage.count, caller: ctx.caller });
        ctx.storage.count = (ctx.storage.count ?? 0) + 1;
        void ctx.storage.untouched; // a read is not a write
      },
    });
    const alice = address("test/sender", "alice");
    const outcome = assertSync(
      f.invoke(
        batch(
          [
            { name: "count", value: int(10) },
            { name: "label", value: str("keep") },
            { name: "untouched", value: str("same") },
          ],
          [inv("a"), inv("b", alice), inv("c")],
        ),
      ),
    );
    assert.deepEqual(seen, [
      { text: "a", count: 10, caller: undefined },
      { text: "b", count: 11, caller: alice },
      { text: "c", count: 12, caller: undefined },
    ]);
    assert.deepEqual(effectsOf(outcome).mutations, [{ kind: "modify", name: "count", value: int(13) }]);
  });

  it("turns a state set to undefined into a delete, even after an earlier write in the batch", () => {
    const f = defineFunction({
      typename: "test/counter",
      state: { count: Types.int, note: Types.string },
      fn(ctx, msg) {
        if (msg.asString() === "write") ctx.storage.note = "temp";
        if (msg.asString() === "clear") ctx.storage.note = undefined;
      },
    });
    const outcome = assertSync(
      f.invoke(batch([{ name: "count", value: int(1) }, { name: "note", value: str("old") }], [inv("write"), inv("clear")])),
    );
    assert.deepEqual(effectsOf(outcome).mutations, [{ kind: "delete", name: "note" }]);
  });

  it("writes a zero value as a modify with zero bytes, not as a delete", () => {
    const f = defineFunction({
      typename: "test/counter",
      state: { count: Types.int },
      fn(ctx) {
        ctx.storage.count = 0;
      },
    });
    const outcome = assertSync(f.invoke(batch([{ name: "count", value: int(5) }], [inv("x")])));
    assert.deepEqual(effectsOf(outcome).mutations, [
      { kind: "modify", name: "count", value: { typename: Types.int.typename, value: new Uint8Array(0) } },
    ]);
  });

  it("reads absent states as undefined and a present empty value as the type's default", () => {
    const read: unknown[] = [];
    const f = defineFunction({
      typename: "test/counter",
      state: { a: Types.int, b: Types.int },
      fn(ctx) {
        read.push(ctx.storage.a, ctx.storage.b);
      },
    });
    assertSync(
      f.invoke(
        batch(
          [
            { name: "a", value: undefined },
            { name: "b", value: { typename: Types.int.typename, value: new Uint8Array(0) } },
          ],
          [inv("x")],
        ),
      ),
    );
    assert.deepEqual(read, [undefined, 0]);
  });

  it("answers incomplete with the specs of the missing states, before running anything", () => {
    let ran = 0;
    const f = defineFunction({
      typename: "test/counter",
      state: { count: Types.int, seen: { type: Types.string, expireAfterCall: 1000 }, other: Types.bool },
      fn() {
        ran++;
      },
    });
    const outcome = assertSync(f.invoke(batch([{ name: "other", value: undefined }, { name: "extra", value: undefined }], [inv("x")])));
    assert.deepEqual(outcome, {
      kind: "incomplete",
      missing: [
        { name: "count", typename: Types.int.typename, expireMode: "none", expireAfterMs: 0 },
        { name: "seen", typename: Types.string.typename, expireMode: "after-invoke", expireAfterMs: 1000 },
      ],
    });
    assert.equal(ran, 0);
  });

  it("ignores undeclared extra states sent by the runtime", () => {
    const f = defineFunction({ typename: "test/counter", state: { count: Types.int }, fn() {} });
    const outcome = assertSync(
      f.invoke(batch([{ name: "count", value: undefined }, { name: "legacy", value: str("x") }], [inv("x")])),
    );
    assert.deepEqual(effectsOf(outcome).mutations, []);
  });

  it("fails with EDDY_TYPE_MISMATCH when a stored state has another typename", () => {
    const f = defineFunction({
      typename: "test/counter",
      state: { count: Types.int },
      fn(ctx) {
        ctx.storage.count = (ctx.storage.count ?? 0) + 1;
      },
    });
    throwsCode(() => f.invoke(batch([{ name: "count", value: str("not an int") }], [inv("x")])), "EDDY_TYPE_MISMATCH");
  });

  it("fails with EDDY_UNKNOWN_FUNCTION when the batch targets another function type", () => {
    const f = defineFunction({ typename: "test/counter", fn() {} });
    throwsCode(() => f.invoke(batch([], [inv("x")], address("test/other", "1"))), "EDDY_UNKNOWN_FUNCTION");
  });

  it("returns a plain (non-promise) outcome for a synchronous handler", () => {
    const f = defineFunction({ typename: "test/counter", fn() {} });
    const result = f.invoke(batch([], [inv("x")]));
    assert.equal(typeof (result as { then?: unknown }).then, "undefined");
    assert.equal((result as BatchOutcome).kind, "completed");
  });

  it("awaits async handlers one after the other, keeping order and state across the batch", async () => {
    const log: string[] = [];
    const f = defineFunction({
      typename: "test/counter",
      state: { count: Types.int },
      async fn(ctx, msg) {
        const text = msg.asString();
        log.push(`start ${text}`);
        await new Promise((r) => setImmediate(r));
        ctx.storage.count = (ctx.storage.count ?? 0) + 1;
        ctx.send(stringMessage(address("test/sink", "s"), `${text}:${ctx.storage.count}`));
        log.push(`end ${text}`);
      },
    });
    const result = f.invoke(batch([{ name: "count", value: undefined }], [inv("a"), inv("b"), inv("c")]));
    assert.ok(result instanceof Promise);
    const effects = effectsOf(await result);
    assert.deepEqual(log, ["start a", "end a", "start b", "end b", "start c", "end c"]);
    assert.deepEqual(effects.mutations, [{ kind: "modify", name: "count", value: int(3) }]);
    assert.deepEqual(
      effects.messages.map((m) => Types.string.deserialize(m.argument.value!)),
      ["a:1", "b:2", "c:3"],
    );
  });

  it("handles a batch whose first handler call is synchronous and a later one async", async () => {
    const f = defineFunction({
      typename: "test/counter",
      state: { count: Types.int },
      fn(ctx, msg) {
        ctx.storage.count = (ctx.storage.count ?? 0) + 1;
        if (msg.asString() === "async") return new Promise<void>((r) => setImmediate(r));
        return undefined;
      },
    });
    const result = await f.invoke(batch([{ name: "count", value: undefined }], [inv("sync"), inv("async"), inv("sync")]));
    assert.deepEqual(effectsOf(result).mutations, [{ kind: "modify", name: "count", value: int(3) }]);
  });

  it("throws out of the batch when a synchronous handler throws", () => {
    const f = defineFunction({
      typename: "test/counter",
      fn(_ctx, msg) {
        if (msg.asString() === "bad") throw new Error("handler failed");
      },
    });
    assert.throws(() => f.invoke(batch([], [inv("ok"), inv("bad"), inv("ok")])), /handler failed/);
  });

  it("rejects the batch when an async handler rejects, skipping the rest", async () => {
    const ran: string[] = [];
    const f = defineFunction({
      typename: "test/counter",
      async fn(_ctx, msg) {
        await Promise.resolve();
        ran.push(msg.asString());
        if (msg.asString() === "bad") throw new Error("async failure");
      },
    });
    await assert.rejects(async () => f.invoke(batch([], [inv("ok"), inv("bad"), inv("never")])), /async failure/);
    assert.deepEqual(ran, ["ok", "bad"]);
  });

  it("collects messages, delayed actions and egress records in call order", () => {
    const target = address("test/sink", "s");
    const Rec = jsonType<{ n: number }>("test/Rec");
    const f = defineFunction({
      typename: "test/counter",
      fn(ctx, msg) {
        assert.deepEqual(ctx.self, self);
        ctx.send(stringMessage(target, `m-${msg.asString()}`));
        ctx.sendAfter(1500.9, stringMessage(target, "later"), "tok");
        ctx.sendAfter(0, stringMessage(target, "now"));
        ctx.cancelDelayedMessage("tok");
        ctx.sendEgress(egressMessage({ egress: "test/out", value: { n: 1 }, type: Rec }));
      },
    });
    const e = effectsOf(assertSync(f.invoke(batch([], [inv("1")]))));
    assert.deepEqual(e.messages, [{ target, argument: str("m-1") }]);
    assert.deepEqual(e.delayed, [
      { kind: "send", delayMs: 1500, target, argument: str("later"), cancellationToken: "tok" },
      { kind: "send", delayMs: 0, target, argument: str("now"), cancellationToken: "" },
      { kind: "cancel", cancellationToken: "tok" },
    ]);
    assert.deepEqual(e.egress, [{ egress: "test/out", argument: { typename: "test/Rec", value: Rec.serialize({ n: 1 }) } }]);
  });

  it("rejects negative delays and empty cancellation tokens with EDDY_INVALID_DELAY", () => {
    const target = address("test/sink", "s");
    const run = (body: FunctionHandler<StateDeclarations>) =>
      defineFunction({ typename: "test/counter", fn: body }).invoke(batch([], [inv("x")]));
    throwsCode(() => run((ctx) => ctx.sendAfter(-1, stringMessage(target, "x"))), "EDDY_INVALID_DELAY");
    throwsCode(() => run((ctx) => ctx.sendAfter(Number.NaN, stringMessage(target, "x"))), "EDDY_INVALID_DELAY");
    throwsCode(() => run((ctx) => ctx.cancelDelayedMessage("")), "EDDY_INVALID_DELAY");
  });
});

describe("Message", () => {
  it("tests and decodes its type", () => {
    const m = new Message(int(7));
    assert.equal(m.isInt(), true);
    assert.equal(m.isString(), false);
    assert.equal(m.asInt(), 7);
    assert.equal(m.typename, Types.int.typename);
    assert.deepEqual(m.rawValue, Types.int.serialize(7));
    throwsCode(() => m.asString(), "EDDY_TYPE_MISMATCH");
    throwsCode(() => m.as(Types.long), "EDDY_TYPE_MISMATCH");
  });

  it("reads a message without a value as the default", () => {
    const m = new Message({ typename: Types.int.typename, value: undefined });
    assert.equal(m.asInt(), 0);
    assert.equal(m.rawValue.length, 0);
  });
});
