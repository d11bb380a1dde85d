import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { address, defineFunction, isEddyError, stringMessage } from "@eddy/sdk";
import { QuarantinePolicy, Runtime, silentLogger } from "@eddy/runtime";
import { BackpressureGate } from "../../src/runtime/backpressure-gate.js";
import { deferred, str, turns, until } from "./helpers.js";

/** Tracks whether a promise has settled, without awaiting it. */
function track(promise: Promise<void>): { readonly done: boolean } {
  const state = { done: false };
  promise.then(
    () => (state.done = true),
    () => (state.done = true),
  );
  return state;
}

describe("maxPendingMessages: ingress waits while the runtime is full", () => {
  it("keeps runtime.send pending beyond the limit until the blocked function progresses", async () => {
    const release = deferred();
    const handled: string[] = [];
    const runtime = new Runtime({ logger: silentLogger(), maxPendingMessages: 4 });
    runtime.bindFunction(
      defineFunction({
        typename: "test/blocked",
        async fn(_ctx, msg) {
          const text = msg.asString();
          handled.push(text);
          if (text === "m0") await release.promise;
        },
      }),
    );
    await runtime.start();
    const target = address("test/blocked", "b");
    const sends = Array.from({ length: 7 }, (_, i) => runtime.send(target, str(`m${i}`)));
    const states = sends.map(track);
    await until(() => handled.length === 1, "m0 to be in flight");
    await turns(30);
    assert.deepEqual(
      states.map((s) => s.done),
      [true, true, true, true, false, false, false],
      "the first four are accepted, the rest wait",
    );
    assert.equal(runtime.pendingMessages, 4);

    release.resolve();
    await Promise.all(sends);
    await runtime.idle();
    assert.deepEqual(handled, ["m0", "m1", "m2", "m3", "m4", "m5", "m6"], "accepted in order");
    assert.deepEqual(await runtime.stop(), { drained: true, pending: 0 });
  });

  it("lets function→function messages through a full gate (no deadlock)", async () => {
    const runtime = new Runtime({ logger: silentLogger(), maxPendingMessages: 2 });
    const received: string[] = [];
    runtime.bindFunction(
      defineFunction({
        typename: "test/fan",
        fn(ctx) {
          for (let i = 0; i < 10; i++) ctx.send(stringMessage(address("test/leaf", `l${i}`), `x${i}`));
        },
      }),
    );
    runtime.bindFunction(
      defineFunction({
        typename: "test/leaf",
        fn(_ctx, msg) {
          received.push(msg.asString());
        },
      }),
    );
    await runtime.start();
    await runtime.send(address("test/fan", "f"), str("go"));
    await runtime.send(address("test/fan", "g"), str("go"));
    await runtime.idle();
    assert.equal(received.length, 20);
    await runtime.stop();
  });
});

describe("maxBacklog: a backlogged address holds only its own messages", () => {
  it("keeps invoking the partition's other addresses while one is at its limit, and resumes it in order (regression: it paused the whole partition)", async () => {
    const release = deferred();
    const log: string[] = [];
    const runtime = new Runtime({ logger: silentLogger(), partitions: 1 });
    runtime.bindFunction(
      defineFunction({
        typename: "test/blocky",
        async fn(ctx, msg) {
          log.push(`${ctx.self.id}:${msg.asString()}`);
          if (ctx.self.id === "a" && msg.asString() === "m0") await release.promise;
        },
      }),
      { maxBacklog: 2 },
    );
    await runtime.start();
    const a = address("test/blocky", "a");
    const b = address("test/blocky", "b");
    await runtime.send(a, str("m0"));
    await until(() => log.length === 1, "a:m0 to be in flight");
    for (let i = 1; i <= 6; i++) await runtime.send(a, str(`m${i}`)); // a's backlog passes 2: m3..m6 wait in the store
    await runtime.send(b, str("m0"));
    await until(() => log.includes("b:m0"), "b to run while a is at its limit");
    assert.deepEqual(log, ["a:m0", "b:m0"]);
    assert.equal(runtime.pendingMessages, 8 - 1, "a's held messages are still pending (b's is done)");

    release.resolve();
    await runtime.idle();
    assert.deepEqual(
      log.filter((l) => l.startsWith("a:")),
      ["a:m0", "a:m1", "a:m2", "a:m3", "a:m4", "a:m5", "a:m6"],
      "a's messages in order, held ones after queued ones",
    );
    assert.deepEqual(await runtime.stop(), { drained: true, pending: 0 });
  });

  it("without maxBacklog, the other address runs while the first is stuck", async () => {
    const release = deferred();
    const log: string[] = [];
    const runtime = new Runtime({ logger: silentLogger(), partitions: 1 });
    runtime.bindFunction(
      defineFunction({
        typename: "test/blocky",
        async fn(ctx, msg) {
          log.push(`${ctx.self.id}:${msg.asString()}`);
          if (ctx.self.id === "a" && msg.asString() === "m0") await release.promise;
        },
      }),
    );
    await runtime.start();
    const a = address("test/blocky", "a");
    await runtime.send(a, str("m0"));
    await until(() => log.length === 1);
    await runtime.send(a, str("m1"));
    await runtime.send(a, str("m2"));
    await runtime.send(address("test/blocky", "b"), str("m0"));
    await until(() => log.includes("b:m0"), "b to run");
    release.resolve();
    await runtime.idle();
    assert.deepEqual(log, ["a:m0", "b:m0", "a:m1", "a:m2"]);
    await runtime.stop();
  });
});

describe("maxPendingMessages: failing and parked messages do not hold the gate", () => {
  it("keeps accepting messages for healthy addresses while failing addresses have filled the limit (regression: every send waited)", async () => {
    const runtime = new Runtime({
      logger: silentLogger(),
      maxPendingMessages: 8,
      retryPolicy: { initialDelayMs: 60_000, maxDelayMs: 60_000 },
    });
    const healthy: string[] = [];
    runtime.bindFunction(
      defineFunction({
        typename: "test/broken",
        fn() {
          throw new Error("always fails");
        },
      }),
    );
    runtime.bindFunction(
      defineFunction({
        typename: "test/healthy",
        fn(ctx) {
          healthy.push(ctx.self.id);
        },
      }),
    );
    await runtime.start();
    // 8 failing addresses, and more messages behind each: far more than the limit.
    const failing = Array.from({ length: 32 }, (_, i) => runtime.send(address("test/broken", `x${i % 8}`), str(`m${i}`))).map(track);
    await until(() => failing.every((st) => st.done), "the failing addresses' messages to be accepted");
    const sends = Array.from({ length: 20 }, (_, i) => runtime.send(address("test/healthy", `h${i}`), str("hi")));
    const states = sends.map(track);
    await until(() => states.every((st) => st.done) && healthy.length === 20, "every healthy message to be accepted and processed");
    assert.equal(runtime.pendingMessages, 32, "the failing addresses' messages are still kept");
    assert.deepEqual(await runtime.stop({ timeoutMs: 10 }), { drained: false, pending: 32 });
  });

  it("does not count parked messages at all: a parked address neither fills the gate nor holds the drain", async () => {
    const runtime = new Runtime({ logger: silentLogger(), maxPendingMessages: 4, quarantine: new QuarantinePolicy(1) });
    runtime.bindFunction(
      defineFunction({
        typename: "test/broken",
        fn() {
          throw new Error("always fails");
        },
      }),
    );
    await runtime.start();
    for (let i = 0; i < 20; i++) await runtime.send(address("test/broken", `x${i % 5}`), str(`m${i}`));
    await until(() => runtime.quarantined().length === 5, "five parked addresses");
    await runtime.idle();
    assert.equal(runtime.pendingMessages, 0);
    assert.deepEqual(
      runtime.quarantined().map((q) => q.waiting).sort(),
      [3, 3, 3, 3, 3],
      "each parked address keeps the three messages behind its parked one",
    );
    assert.deepEqual(await runtime.stop(), { drained: true, pending: 0 });
  });
});

describe("BackpressureGate", () => {
  it("admits up to the limit, wakes waiters on release and resolves idle at zero", async () => {
    const gate = new BackpressureGate(2);
    await gate.enter(1);
    await gate.enter(1);
    const third = track(gate.enter(1));
    await turns(3);
    assert.equal(third.done, false);
    let idle = false;
    void gate.idle().then(() => (idle = true));
    gate.release(1);
    await turns(3);
    assert.equal(third.done, true);
    assert.equal(gate.pending, 2);
    gate.add(3); // internal traffic passes regardless
    assert.equal(gate.pending, 5);
    gate.release(5);
    await turns(1);
    assert.equal(idle, true);
  });

  it("rejects waiting and new entries with EDDY_SHUTTING_DOWN once closed", async () => {
    const gate = new BackpressureGate(1);
    await gate.enter(1);
    const waiting = gate.enter(1);
    gate.close();
    await assert.rejects(waiting, (e: unknown) => isEddyError(e, "EDDY_SHUTTING_DOWN") && e.retryable);
    await assert.rejects(gate.enter(1), (e: unknown) => isEddyError(e, "EDDY_SHUTTING_DOWN"));
    assert.equal(gate.pending, 1);
  });

  it("moves set-aside messages out of the limit but keeps idle() waiting for them", async () => {
    const gate = new BackpressureGate(2);
    await gate.enter(2);
    const third = track(gate.enter(1));
    let idle = false;
    void gate.idle().then(() => (idle = true));
    gate.setAside(2);
    await turns(3);
    assert.equal(third.done, true, "a set-aside message frees room under the limit");
    assert.deepEqual([gate.pending, gate.aside], [1, 2]);
    gate.release(1);
    gate.takeBack(1);
    gate.releaseAside(1);
    gate.release(1);
    await turns(1);
    assert.equal(idle, true);
    gate.addAside(1);
    let idleAgain = false;
    void gate.idle().then(() => (idleAgain = true));
    await turns(2);
    assert.equal(idleAgain, false);
    gate.releaseAside(1);
    await turns(1);
    assert.equal(idleAgain, true);
  });
});
