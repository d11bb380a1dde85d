import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  Types,
  address,
  defineFunction,
  egressMessage,
  isEddyError,
  jsonType,
  stringMessage,
} from "@eddy/sdk";
import type { Address, BatchOutcome, InvocationBatch, InvocationEffects, StateSpec, TypedValue } from "@eddy/sdk";
import { ManualClock, QuarantinePolicy, Runtime, silentLogger } from "@eddy/runtime";
import type { Egress, FunctionInvoker } from "@eddy/runtime";
import { str, turns, until } from "./helpers.js";
import { capturingLogger } from "../support/capturing-logger.js";

const NO_EFFECTS: InvocationEffects = { mutations: [], messages: [], delayed: [], egress: [] };

/** A function invoker written by hand, as a remote function would answer. */
function rawInvoker(invoke: (batch: InvocationBatch) => BatchOutcome, stateSpecs: StateSpec[] = []): FunctionInvoker {
  return { description: "raw", stateSpecs, maxBacklog: 0, invoke };
}

/** Polls with real time (for the few tests that run on the system clock); gives up after `ms`. */
async function eventually(condition: () => boolean, what: string, ms = 250): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** A runtime on a ManualClock, one partition, retries every ~100 ms, and a sink that records what it gets. */
function scenario() {
  const clock = new ManualClock(0);
  const { logger, entries, errors } = capturingLogger();
  const runtime = new Runtime({ logger, clock, partitions: 1, retryPolicy: { initialDelayMs: 100, maxDelayMs: 100 } });
  const received: string[] = [];
  runtime.bindFunction(
    defineFunction({
      typename: "test/sink",
      fn(_ctx, msg) {
        received.push(msg.asString());
      },
    }),
  );
  const stateOf = (target: Address, name: string): TypedValue | undefined =>
    runtime.store.read(target, `${target.type}\u0000${target.id}`, clock.now()).find((e) => e.name === name)?.value;
  /** The log lines of an address's state changes: failing, parked, recovered, released. */
  const changes = () => entries.filter((e) => e.level >= 30 && e.address !== undefined).map((e) => `${e.address} ${/is failing|is parked|recovered|is released|dropped/.exec(e.msg)?.[0] ?? e.msg}`);
  /** The first line of each failing or parked address (warn when it will be retried, error when parked). */
  const failures = () => entries.filter((e) => e["event"] === "failing" || e["event"] === "parked");
  return { clock, runtime, received, errors, stateOf, changes, failures };
}

const sinkAddress = address("test/sink", "s");

describe("a failing invocation", () => {
  it("is retried until it succeeds; its message applies exactly once and other addresses keep going", async () => {
    const s = scenario();
    let attemptsOfM1 = 0;
    s.runtime.bindFunction(
      defineFunction({
        typename: "test/flaky",
        state: { count: Types.int },
        fn(ctx, msg) {
          const text = msg.asString();
          ctx.storage.count = (ctx.storage.count ?? 0) + 1;
          ctx.send(stringMessage(sinkAddress, `${ctx.self.id}:${text}`));
          if (text === "m1" && ++attemptsOfM1 <= 2) throw new Error(`transient failure #${attemptsOfM1}`);
        },
      }),
    );
    await s.runtime.start();
    const a = address("test/flaky", "a");
    const b = address("test/flaky", "b");

    await s.runtime.send(a, str("m1"));
    await until(() => attemptsOfM1 === 1, "the first failure");
    await s.runtime.send(b, str("x"));
    await s.runtime.send(a, str("m2")); // queues behind the failing batch
    await until(() => s.received.includes("b:x"), "another address of the same partition to be processed");

    s.clock.advance(150); // second attempt, fails again
    assert.equal(attemptsOfM1, 2);
    await s.runtime.send(b, str("y"));
    await until(() => s.received.includes("b:y"));
    assert.deepEqual(s.received, ["b:x", "b:y"], "nothing of a's failed attempts was applied");
    assert.equal(s.stateOf(a, "count"), undefined);

    s.clock.advance(150); // third attempt succeeds
    await s.runtime.idle();
    assert.equal(attemptsOfM1, 3);
    assert.deepEqual(
      s.received.filter((r) => r.startsWith("a:")),
      ["a:m1", "a:m2"],
    );
    assert.deepEqual(s.stateOf(a, "count"), { typename: Types.int.typename, value: Types.int.serialize(2) });
    assert.deepEqual(s.stateOf(b, "count"), { typename: Types.int.typename, value: Types.int.serialize(2) });
    assert.deepEqual(s.changes(), ["test/flaky/a is failing", "test/flaky/a recovered"], "one line per state change, not one per attempt");
    assert.deepEqual(s.errors(), []);
    assert.deepEqual(await s.runtime.stop(), { drained: true, pending: 0 });
  });

  it("backs off exponentially (with jitter) between attempts", async () => {
    const clock = new ManualClock(0);
    const runtime = new Runtime({
      logger: silentLogger(),
      clock,
      partitions: 1,
      retryPolicy: { initialDelayMs: 100, maxDelayMs: 400 },
    });
    const attemptsAt: number[] = [];
    runtime.bindFunction(
      defineFunction({
        typename: "test/broken",
        fn() {
          attemptsAt.push(clock.now());
          throw new Error("always");
        },
      }),
    );
    await runtime.start();
    await runtime.send(address("test/broken", "x"), str("x"));
    await until(() => attemptsAt.length === 1);
    for (let t = 0; t < 3000; t += 10) clock.advance(10);
    const gaps = attemptsAt.slice(1).map((t, i) => t - attemptsAt[i]!);
    assert.ok(gaps.length >= 6, `expected several retries, got ${gaps.length}`);
    const within = (gap: number, base: number) => gap >= base * 0.8 - 10 && gap <= base * 1.2 + 10;
    assert.ok(within(gaps[0]!, 100), `first gap ${gaps[0]}`);
    assert.ok(within(gaps[1]!, 200), `second gap ${gaps[1]}`);
    assert.ok(within(gaps[2]!, 400), `third gap ${gaps[2]}`);
    assert.ok(gaps.slice(3).every((g) => within(g, 400)), `capped at maxDelayMs: ${gaps.join(", ")}`);
    await runtime.stop({ timeoutMs: 1 });
  });

  it("writing an undeclared state fails with EDDY_UNKNOWN_STATE, contained to that address", async () => {
    const s = scenario();
    let calls = 0;
    s.runtime.bindInvoker("test/ghost", () =>
      rawInvoker(() => {
        calls++;
        return {
          kind: "completed",
          effects: {
            ...NO_EFFECTS,
            mutations: [{ kind: "modify", name: "ghost", value: str("boo") }],
            messages: [{ target: sinkAddress, argument: str("from ghost") }],
          },
        };
      }),
    );
    await s.runtime.start();
    await s.runtime.send(address("test/ghost", "g"), str("x"));
    await s.runtime.send(sinkAddress, str("unrelated"));
    await until(() => s.errors().length >= 1 && s.received.length === 1);
    assert.equal(s.errors()[0]!.code, "EDDY_UNKNOWN_STATE");
    assert.match(s.errors()[0]!.msg, /test\/ghost\/g is parked after 1 attempt/);
    assert.deepEqual(s.received, ["unrelated"], "the failed batch's message was not sent");
    s.clock.advance(150);
    assert.equal(calls, 1, "not retried: retrying cannot help, so it is parked at once");
    assert.deepEqual(
      s.runtime.quarantined().map((q) => [q.record.target.id, q.record.error.code, q.record.attempts]),
      [["g", "EDDY_UNKNOWN_STATE", 1]],
    );
    assert.equal(s.runtime.pendingMessages, 0, "a parked message is not pending");
    assert.deepEqual(await s.runtime.stop({ timeoutMs: 20 }), { drained: true, pending: 0 }, "a parked message does not hold the drain");
  });

  it("writing a state with another typename fails with EDDY_TYPE_MISMATCH", async () => {
    const s = scenario();
    s.runtime.bindInvoker("test/typed", () =>
      rawInvoker(
        () => ({ kind: "completed", effects: { ...NO_EFFECTS, mutations: [{ kind: "modify", name: "n", value: str("x") }] } }),
        [{ name: "n", typename: Types.int.typename, expireMode: "none", expireAfterMs: 0 }],
      ),
    );
    await s.runtime.start();
    await s.runtime.send(address("test/typed", "t"), str("x"));
    await until(() => s.errors().length >= 1);
    assert.equal(s.errors()[0]!.code, "EDDY_TYPE_MISMATCH");
    assert.equal(s.runtime.quarantined().length, 1);
    assert.deepEqual(await s.runtime.stop({ timeoutMs: 20 }), { drained: true, pending: 0 });
  });

  it("sending to an unbound function type, delaying to one, or emitting to an unbound egress fails only that address", async () => {
    const s = scenario();
    const Rec = jsonType<{ n: number }>("test/Rec");
    s.runtime.bindFunction(
      defineFunction({
        typename: "test/sender",
        state: { touched: Types.bool },
        fn(ctx, msg) {
          ctx.storage.touched = true;
          ctx.send(stringMessage(sinkAddress, `before ${ctx.self.id}`));
          const what = msg.asString();
          if (what === "function") ctx.send(stringMessage(address("nobody/home", "1"), "hi"));
          if (what === "delayed") ctx.sendAfter(10, stringMessage(address("nobody/home", "1"), "hi"));
          if (what === "egress") ctx.sendEgress(egressMessage({ egress: "nowhere/out", value: { n: 1 }, type: Rec }));
        },
      }),
    );
    await s.runtime.start();
    const targets = { function: "f", delayed: "d", egress: "e" } as const;
    for (const [what, id] of Object.entries(targets)) await s.runtime.send(address("test/sender", id), str(what));
    await s.runtime.send(sinkAddress, str("still working"));
    await until(() => s.errors().length >= 3 && s.received.length === 1);
    const codes = new Map(s.errors().map((e) => [e.address, e.code]));
    assert.equal(codes.get("test/sender/f"), "EDDY_UNKNOWN_FUNCTION");
    assert.equal(codes.get("test/sender/d"), "EDDY_UNKNOWN_FUNCTION");
    assert.equal(codes.get("test/sender/e"), "EDDY_UNKNOWN_EGRESS");
    assert.deepEqual(s.received, ["still working"]);
    for (const id of Object.values(targets)) assert.equal(s.stateOf(address("test/sender", id), "touched"), undefined);
    assert.equal(s.runtime.pendingDelayedMessages, 0);
    assert.deepEqual(s.runtime.quarantined().map((q) => q.record.target.id).sort(), ["d", "e", "f"]);
    assert.deepEqual(await s.runtime.stop({ timeoutMs: 20 }), { drained: true, pending: 0 });
  });

  it("an egress record the egress cannot take fails the invocation with EDDY_INVALID_EGRESS_RECORD", async () => {
    const s = scenario();
    const delivered: TypedValue[] = [];
    const egress: Egress = {
      id: "test/picky",
      check: (record) => (record.typename === "test/Good" ? undefined : `only test/Good, not ${record.typename}`),
      deliver: (records) => {
        delivered.push(...records);
      },
      describe: () => "picky",
    };
    s.runtime.bindEgress(egress);
    s.runtime.bindFunction(
      defineFunction({
        typename: "test/emitter",
        fn(ctx, msg) {
          ctx.sendEgress({ egress: "test/picky", argument: { typename: msg.asString(), value: undefined } });
        },
      }),
    );
    await s.runtime.start();
    await s.runtime.send(address("test/emitter", "ok"), str("test/Good"));
    await s.runtime.send(address("test/emitter", "bad"), str("test/Bad"));
    await until(() => s.errors().length >= 1 && delivered.length === 1);
    assert.equal(s.errors()[0]!.code, "EDDY_INVALID_EGRESS_RECORD");
    assert.match(String(s.errors()[0]!.error), /only test\/Good/);
    assert.deepEqual(delivered, [{ typename: "test/Good", value: undefined }]);
    assert.deepEqual(await s.runtime.stop({ timeoutMs: 20 }), { drained: true, pending: 0 });
  });

  it("a failing egress delivery is counted and logged; the invocation stays committed", async () => {
    const s = scenario();
    s.runtime.bindEgress({
      id: "test/flaky-egress",
      check: () => undefined,
      deliver: () => Promise.reject(new Error("egress down")),
      describe: () => "flaky",
    });
    s.runtime.bindFunction(
      defineFunction({
        typename: "test/emitter",
        state: { n: Types.int },
        fn(ctx) {
          ctx.storage.n = (ctx.storage.n ?? 0) + 1;
          ctx.sendEgress({ egress: "test/flaky-egress", argument: str("x") });
        },
      }),
    );
    await s.runtime.start();
    await s.runtime.send(address("test/emitter", "e"), str("x"));
    await s.runtime.idle();
    await until(() => s.runtime.egressFailures === 1, "the egress failure to be counted");
    assert.deepEqual(s.stateOf(address("test/emitter", "e"), "n"), {
      typename: Types.int.typename,
      value: Types.int.serialize(1),
    });
    assert.equal(s.errors().at(-1)!.egress, "test/flaky-egress");
    assert.deepEqual(await s.runtime.stop(), { drained: true, pending: 0 });
  });

  it("rejects an ingress message to an unbound function type up front, accepting nothing", async () => {
    const s = scenario();
    await s.runtime.start();
    await assert.rejects(
      s.runtime.accept([
        { target: sinkAddress, argument: str("ok") },
        { target: address("nobody/home", "1"), argument: str("x") },
      ]),
      (e: unknown) => isEddyError(e, "EDDY_UNKNOWN_FUNCTION"),
    );
    await turns(5);
    assert.equal(s.runtime.pendingMessages, 0);
    assert.deepEqual(s.received, []);
    await s.runtime.stop();
  });
});

describe("state registration for functions that declare their states lazily", () => {
  const spec: StateSpec = { name: "seen", typename: Types.int.typename, expireMode: "none", expireAfterMs: 0 };

  it("registers missing states and re-sends the same batch with them", async () => {
    const s = scenario();
    const batches: InvocationBatch[] = [];
    const seven: TypedValue = { typename: Types.int.typename, value: Types.int.serialize(7) };
    s.runtime.bindInvoker("test/lazy", () =>
      rawInvoker((batch) => {
        batches.push(batch);
        if (!batch.states.some((st) => st.name === "seen")) return { kind: "incomplete", missing: [spec] };
        return { kind: "completed", effects: { ...NO_EFFECTS, mutations: [{ kind: "modify", name: "seen", value: seven }] } };
      }),
    );
    await s.runtime.start();
    const lazy = address("test/lazy", "l");
    await s.runtime.send(lazy, str("one"));
    await s.runtime.idle();
    assert.deepEqual(s.runtime.store.specsOf("test/lazy"), [spec]);
    assert.equal(batches.length, 2);
    assert.deepEqual(batches[0]!.states, []);
    assert.deepEqual(batches[1]!.states, [{ name: "seen", value: undefined }]);
    assert.deepEqual(batches[1]!.invocations, batches[0]!.invocations, "the same invocations, not merged with newer ones");
    assert.deepEqual(s.stateOf(lazy, "seen"), seven);
    assert.deepEqual(s.errors(), []);
    // from now on the state travels with every batch
    await s.runtime.send(lazy, str("two"));
    await s.runtime.idle();
    assert.equal(batches.length, 3);
    assert.deepEqual(batches[2]!.states, [{ name: "seen", value: seven }]);
    assert.deepEqual(await s.runtime.stop(), { drained: true, pending: 0 });
  });

  it("fails with EDDY_UNKNOWN_STATE when a function keeps reporting missing states", async () => {
    const s = scenario();
    let calls = 0;
    s.runtime.bindInvoker("test/forgetful", () =>
      rawInvoker(() => {
        calls++;
        return { kind: "incomplete", missing: [spec] };
      }),
    );
    await s.runtime.start();
    await s.runtime.send(address("test/forgetful", "f"), str("x"));
    await until(() => s.failures().length >= 1);
    assert.equal(s.failures()[0]!.code, "EDDY_UNKNOWN_STATE");
    assert.equal(s.failures()[0]!["event"], "failing", "retried: a redeployed function may answer completely");
    assert.equal(calls, 3);
    await s.runtime.stop({ timeoutMs: 20 });
  });

  it("fails with EDDY_TYPE_MISMATCH when a missing state conflicts with the registered type, keeping the first", async () => {
    const s = scenario();
    s.runtime.bindInvoker("test/conflict", () =>
      rawInvoker(() => ({ kind: "incomplete", missing: [{ ...spec, typename: Types.string.typename }] }), [spec]),
    );
    await s.runtime.start();
    await s.runtime.send(address("test/conflict", "c"), str("x"));
    await until(() => s.errors().length >= 1);
    assert.equal(s.errors()[0]!.code, "EDDY_TYPE_MISMATCH");
    assert.deepEqual(s.runtime.store.specsOf("test/conflict"), [spec]);
    await s.runtime.stop({ timeoutMs: 20 });
  });
});

describe("runtime.stop()", () => {
  it("drains every accepted message and reports drained: true when healthy", async () => {
    const runtime = new Runtime({ logger: silentLogger() });
    const handled: string[] = [];
    runtime.bindFunction(
      defineFunction({
        typename: "test/worker",
        async fn(ctx, msg) {
          await new Promise((r) => setImmediate(r));
          handled.push(`${ctx.self.id}:${msg.asString()}`);
          if (msg.asString() === "0") ctx.send(stringMessage(address("test/worker", `${ctx.self.id}-child`), "child"));
        },
      }),
    );
    await runtime.start();
    for (let i = 0; i < 30; i++) await runtime.send(address("test/worker", `w${i % 5}`), str(String(Math.floor(i / 5))));
    const result = await runtime.stop();
    assert.deepEqual(result, { drained: true, pending: 0 });
    assert.equal(handled.length, 35, "every message, including those sent by functions while draining");
    assert.equal(runtime.state, "stopped");
    assert.equal(runtime.pendingMessages, 0);
  });

  it("refuses new messages once stopping, with EDDY_SHUTTING_DOWN", async () => {
    const runtime = new Runtime({ logger: silentLogger() });
    runtime.bindFunction(defineFunction({ typename: "test/worker", fn() {} }));
    await runtime.start();
    await runtime.stop();
    await assert.rejects(runtime.send(address("test/worker", "w"), str("late")), (e: unknown) =>
      isEddyError(e, "EDDY_SHUTTING_DOWN"),
    );
    assert.deepEqual(await runtime.stop(), { drained: true, pending: 0 }, "stopping twice is harmless");
  });

  it("gives up after the timeout with drained: false when a function keeps failing, and stops retrying", async () => {
    // Attempts every 5-10 ms would reach the default limit of 10 within the 80 ms and park the
    // message, and a parked message does not hold up a drain: keep it failing, not parked.
    const runtime = new Runtime({
      logger: silentLogger(),
      retryPolicy: { initialDelayMs: 5, maxDelayMs: 10 },
      quarantine: new QuarantinePolicy(1_000_000),
    });
    let attempts = 0;
    runtime.bindFunction(
      defineFunction({
        typename: "test/doomed",
        fn() {
          attempts++;
          throw new Error("never works");
        },
      }),
    );
    await runtime.start();
    await runtime.send(address("test/doomed", "d"), str("x"));
    await eventually(() => attempts >= 2, "a retry");
    const started = Date.now();
    assert.deepEqual(await runtime.stop({ timeoutMs: 80 }), { drained: false, pending: 1 });
    assert.ok(Date.now() - started >= 75, "waited for the timeout");
    assert.equal(runtime.state, "stopped");
    const after = attempts;
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(attempts, after, "a stopped runtime invokes nothing any more");
  });
});
