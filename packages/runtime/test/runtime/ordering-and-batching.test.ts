import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Types, address, defineFunction, formatAddress, stringMessage } from "@eddy/sdk";
import type { Address, InvocationBatch } from "@eddy/sdk";
import { Runtime, partitionOf, silentLogger } from "@eddy/runtime";
import { deferred, recordingInvoker, str, textOf, turns, until } from "./helpers.js";

function newRuntime(partitions = 4): Runtime {
  return new Runtime({ logger: silentLogger(), partitions });
}

describe("per-address batching", () => {
  it("delivers the messages that arrived while one was in flight as ONE next batch, in arrival order", async () => {
    const release = deferred();
    const handled: string[] = [];
    const slow = defineFunction({
      typename: "test/slow",
      async fn(_ctx, msg) {
        const text = msg.asString();
        handled.push(text);
        if (text === "m0") await release.promise;
      },
    });
    const batches: InvocationBatch[] = [];
    const runtime = newRuntime();
    runtime.bindInvoker("test/slow", () => recordingInvoker(slow, batches));
    await runtime.start();
    const a = address("test/slow", "a");

    await runtime.send(a, str("m0"));
    await until(() => handled.length === 1, "m0 to be in flight");
    for (const text of ["m1", "m2", "m3", "m4", "m5"]) await runtime.send(a, str(text));
    await turns(20);
    assert.deepEqual(handled, ["m0"], "nothing else runs for the address while m0 is in flight");
    assert.deepEqual(batches.map((b) => b.invocations.length), [1]);

    release.resolve();
    await runtime.idle();
    assert.deepEqual(batches.map((b) => b.invocations.length), [1, 5]);
    assert.deepEqual(batches[1]!.invocations.map((i) => textOf(i.argument)), ["m1", "m2", "m3", "m4", "m5"]);
    assert.deepEqual(handled, ["m0", "m1", "m2", "m3", "m4", "m5"]);
    assert.deepEqual(await runtime.stop(), { drained: true, pending: 0 });
  });

  it("hands the next batch the state the previous batch committed", async () => {
    const release = deferred();
    const counter = defineFunction({
      typename: "test/counter",
      state: { count: Types.int },
      async fn(ctx, msg) {
        ctx.storage.count = (ctx.storage.count ?? 0) + 1;
        if (msg.asString() === "first") await release.promise;
      },
    });
    const batches: InvocationBatch[] = [];
    const runtime = newRuntime();
    runtime.bindInvoker("test/counter", () => recordingInvoker(counter, batches));
    await runtime.start();
    const c = address("test/counter", "c");
    await runtime.send(c, str("first"));
    await until(() => batches.length === 1);
    await runtime.send(c, str("second"));
    await runtime.send(c, str("third"));
    release.resolve();
    await runtime.idle();
    assert.equal(batches.length, 2);
    assert.deepEqual(batches[0]!.states, [{ name: "count", value: undefined }]);
    assert.deepEqual(batches[1]!.states, [
      { name: "count", value: { typename: Types.int.typename, value: Types.int.serialize(1) } },
    ]);
    await runtime.stop();
  });

  it("runs different addresses of one partition concurrently", async () => {
    const release = deferred();
    const started: string[] = [];
    const finished: string[] = [];
    const slow = defineFunction({
      typename: "test/slow",
      async fn(ctx) {
        started.push(ctx.self.id);
        await release.promise;
        finished.push(ctx.self.id);
      },
    });
    const runtime = newRuntime(1);
    runtime.bindFunction(slow);
    await runtime.start();
    const ids = ["a", "b", "c", "d", "e"];
    for (const id of ids) await runtime.send(address("test/slow", id), str("go"));
    await until(() => started.length === ids.length, "every address to be in flight at once");
    assert.deepEqual([...started].sort(), ids);
    assert.deepEqual(finished, []);
    release.resolve();
    await runtime.idle();
    assert.deepEqual([...finished].sort(), ids);
    await runtime.stop();
  });

  it("keeps processing another address while one address is stuck", async () => {
    const never = deferred();
    const done: string[] = [];
    const fn = defineFunction({
      typename: "test/mixed",
      async fn(ctx) {
        if (ctx.self.id === "stuck") await never.promise;
        done.push(ctx.self.id);
      },
    });
    const runtime = newRuntime(1);
    runtime.bindFunction(fn);
    await runtime.start();
    await runtime.send(address("test/mixed", "stuck"), str("x"));
    for (let i = 0; i < 3; i++) await runtime.send(address("test/mixed", "free"), str(`x${i}`));
    await until(() => done.length === 3, "the free address to process its messages");
    assert.deepEqual(done, ["free", "free", "free"]);
    never.resolve();
    await runtime.idle();
    await runtime.stop();
  });

  it("keeps state per function type: the same id under two types has two states", async () => {
    const seen: string[] = [];
    const make = (typename: string) =>
      defineFunction({
        typename,
        state: { count: Types.int },
        fn(ctx) {
          const count = (ctx.storage.count ?? 0) + 1;
          ctx.storage.count = count;
          seen.push(`${typename}:${count}`);
        },
      });
    const runtime = newRuntime();
    runtime.bindFunction(make("test/one"));
    runtime.bindFunction(make("test/two"));
    await runtime.start();
    await runtime.send(address("test/one", "same"), str("x"));
    await runtime.send(address("test/one", "same"), str("x"));
    await runtime.send(address("test/two", "same"), str("x"));
    await runtime.idle();
    assert.deepEqual(seen.sort(), ["test/one:1", "test/one:2", "test/two:1"]);
    await runtime.stop();
  });
});

describe("message order and callers", () => {
  it("delivers function→function messages FIFO per sender, with the sender as caller", async () => {
    const sinks = ["x", "y", "z", "w"];
    const received = new Map<string, { from: string; seq: number }[]>();
    const fanout = defineFunction({
      typename: "test/fanout",
      fn(ctx, msg) {
        const [start, count] = msg.asString().split(":").map(Number) as [number, number];
        for (let i = start; i < start + count; i++) {
          ctx.send(stringMessage(address("test/sink", sinks[i % sinks.length]!), String(i)));
        }
      },
    });
    const sink = defineFunction({
      typename: "test/sink",
      async fn(ctx, msg) {
        // yield now and then, so the sink's messages pile up into batches
        if (Number(msg.asString()) % 3 === 0) await new Promise((r) => setImmediate(r));
        assert.ok(ctx.caller !== undefined, "a function→function message has a caller");
        const list = received.get(ctx.self.id) ?? [];
        list.push({ from: formatAddress(ctx.caller), seq: Number(msg.asString()) });
        received.set(ctx.self.id, list);
      },
    });
    const runtime = newRuntime(4);
    runtime.bindFunction(fanout);
    runtime.bindFunction(sink);
    await runtime.start();
    // the sinks really are spread over partitions
    assert.ok(new Set(sinks.map((s) => partitionOf(s, 4))).size > 1);

    const f = address("test/fanout", "f");
    const g = address("test/fanout", "g");
    for (let round = 0; round < 4; round++) {
      await runtime.send(f, str(`${round * 40}:40`));
      await runtime.send(g, str(`${1000 + round * 40}:40`));
    }
    await runtime.idle();

    let total = 0;
    for (const id of sinks) {
      const list = received.get(id) ?? [];
      total += list.length;
      for (const sender of [f, g]) {
        const seqs = list.filter((r) => r.from === formatAddress(sender)).map((r) => r.seq);
        const sorted = [...seqs].sort((p, q) => p - q);
        assert.deepEqual(seqs, sorted, `sink ${id} got ${formatAddress(sender)}'s messages out of order`);
        assert.equal(seqs.length, 40, `sink ${id} got every message of ${formatAddress(sender)}`);
      }
    }
    assert.equal(total, 320);
    await runtime.stop();
  });

  it("gives ingress messages no caller and function→function messages the sender's address", async () => {
    const callers: (Address | undefined)[] = [];
    const relay = defineFunction({
      typename: "test/relay",
      fn(ctx, msg) {
        callers.push(ctx.caller);
        if (msg.asString() === "forward") ctx.send(stringMessage(address("test/relay", "second"), "stop"));
      },
    });
    const runtime = newRuntime();
    runtime.bindFunction(relay);
    await runtime.start();
    await runtime.send(address("test/relay", "first"), str("forward"));
    await runtime.idle();
    assert.deepEqual(callers, [undefined, { type: "test/relay", id: "first" }]);
    await runtime.stop();
  });

  it("lets a function message itself; the message goes after the batch commits", async () => {
    const seen: number[] = [];
    const countdown = defineFunction({
      typename: "test/countdown",
      state: { steps: Types.int },
      fn(ctx, msg) {
        const n = msg.as(Types.int);
        seen.push(n);
        ctx.storage.steps = (ctx.storage.steps ?? 0) + 1;
        if (n > 0) ctx.send({ target: ctx.self, argument: { typename: Types.int.typename, value: Types.int.serialize(n - 1) } });
      },
    });
    const runtime = newRuntime();
    runtime.bindFunction(countdown);
    await runtime.start();
    await runtime.send(address("test/countdown", "c"), { typename: Types.int.typename, value: Types.int.serialize(5) });
    await runtime.idle();
    assert.deepEqual(seen, [5, 4, 3, 2, 1, 0]);
    await runtime.stop();
  });
});
