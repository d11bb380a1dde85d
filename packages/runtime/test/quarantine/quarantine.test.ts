import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { address, defineFunction, EddyError, formatAddress, jsonType, Types } from "@eddy/sdk";
import type { Address } from "@eddy/sdk";
import { LmdbStateStore, ManualClock, QuarantinePolicy, Runtime } from "@eddy/runtime";
import type { AddressEvent, StateStore } from "@eddy/runtime";
import { str, until } from "../runtime/helpers.js";
import { capturingLogger } from "../support/capturing-logger.js";

const Ledger = jsonType<string[]>("test/Ledger");

/** A ledger function that throws for the ids in `broken` ("the bug"), until the test fixes it. */
function ledgerRuntime(options: { store?: StateStore; quarantineAfter?: number; broken: Set<string>; calls?: string[] }) {
  const clock = new ManualClock(1_000_000);
  const { logger, entries } = capturingLogger();
  const events: AddressEvent[] = [];
  const runtime = new Runtime({
    logger,
    onAddressEvent: (event) => events.push(event),
    clock,
    partitions: 2,
    retryPolicy: { initialDelayMs: 10, maxDelayMs: 10 },
    quarantine: new QuarantinePolicy(options.quarantineAfter ?? 3),
    ...(options.store === undefined ? {} : { store: options.store }),
  });
  runtime.bindFunction(
    defineFunction({
      typename: "test/ledger",
      state: { entries: Ledger },
      fn(ctx, msg) {
        const text = msg.asString();
        options.calls?.push(`${ctx.self.id}:${text}`);
        if (options.broken.has(ctx.self.id) && text.startsWith("poison")) throw new Error(`cannot book ${text}`);
        ctx.storage.entries = [...(ctx.storage.entries ?? []), text];
      },
    }),
  );
  const ledgerOf = (id: string): string[] | undefined => {
    const entry = runtime.store.read(address("test/ledger", id), `test/ledger\u0000${id}`, clock.now()).find((e) => e.name === "entries");
    return entry?.value === undefined ? undefined : Ledger.deserialize(entry.value.value!);
  };
  /** Advances time in 10 ms steps until `condition` holds (retries run on the manual clock). */
  const advanceUntil = async (condition: () => boolean, what: string) => {
    for (let i = 0; i < 500 && !condition(); i++) {
      clock.advance(10);
      await new Promise((r) => setImmediate(r));
    }
    assert.ok(condition(), `gave up waiting for ${what}`);
  };
  /** The address events reported, and the log lines at info and above that name an address: one per event. */
  const changes = () => ({
    events: events.map((e) => `${e.kind} ${formatAddress(e.address)}`),
    logged: entries.filter((e) => e.address !== undefined && e.level >= 30).map((e) => `${String(e["event"])} ${e.address}`),
  });
  return { runtime, clock, ledgerOf, advanceUntil, entries, changes };
}

const ledger = (id: string): Address => address("test/ledger", id);

describe("quarantine", () => {
  it("parks an address after N failed attempts while other ids of the same function keep running; retry after the fix applies it once, then the rest in order", async () => {
    const broken = new Set(["bad"]);
    const calls: string[] = [];
    const s = ledgerRuntime({ broken, calls, quarantineAfter: 3 });
    await s.runtime.start();
    await s.runtime.send(ledger("bad"), str("poison-1"));
    await s.runtime.send(ledger("bad"), str("after-1"));
    for (let i = 0; i < 50; i++) await s.runtime.send(ledger(`good-${i}`), str("hello"));
    await s.advanceUntil(() => s.runtime.quarantined().length === 1, "the address to be parked");
    await s.runtime.idle();
    for (let i = 0; i < 50; i++) assert.deepEqual(s.ledgerOf(`good-${i}`), ["hello"]);
    assert.equal(calls.filter((c) => c === "bad:poison-1").length, 3, "three attempts, then parked");
    const [parked] = s.runtime.quarantined();
    assert.equal(parked!.record.attempts, 3);
    assert.equal(parked!.record.error.code, "EDDY_FUNCTION_FAILED");
    assert.match(parked!.record.error.message, /cannot book poison-1/);
    assert.equal(parked!.waiting, 1, "after-1 waits behind the parked message");
    assert.equal(s.ledgerOf("bad"), undefined, "nothing of the failed attempts applied");

    // More messages for the parked address wait too; they do not run ahead of the parked one.
    await s.runtime.send(ledger("bad"), str("after-2"));
    s.clock.advance(1000);
    await s.runtime.idle();
    assert.equal(s.runtime.quarantined()[0]!.waiting, 2);
    assert.equal(calls.filter((c) => c.startsWith("bad:")).length, 3);

    broken.clear(); // the fix
    const released = await s.runtime.retryQuarantined(ledger("bad"));
    assert.equal(released?.message.argument.typename, Types.string.typename);
    assert.equal(await s.runtime.retryQuarantined(ledger("bad")), undefined, "a second retry finds nothing parked");
    await s.runtime.idle();
    assert.deepEqual(s.ledgerOf("bad"), ["poison-1", "after-1", "after-2"], "applied once, in order");
    assert.deepEqual(s.runtime.quarantined(), []);
    // Attempt 2 is an event too, but its line is at debug: one line per state change, not per attempt.
    const bad = (kinds: string[]) => kinds.map((kind) => `${kind} test/ledger/bad`);
    assert.deepEqual(
      s.changes(),
      { events: bad(["failing", "retrying", "parked", "released", "recovered"]), logged: bad(["failing", "parked", "released", "recovered"]) },
      "an event per attempt and state change, one log line per state change",
    );
    assert.deepEqual(await s.runtime.stop(), { drained: true, pending: 0 });
  });

  it("parks at once for an error that retrying cannot fix (retryable: false), and drop discards only that message", async () => {
    const calls: string[] = [];
    const clock = new ManualClock(0);
    const { logger, entries } = capturingLogger();
    const runtime = new Runtime({ logger, clock, retryPolicy: { initialDelayMs: 10, maxDelayMs: 10 } });
    runtime.bindFunction(
      defineFunction({
        typename: "test/strict",
        state: { seen: Types.int },
        fn(ctx, msg) {
          calls.push(msg.asString());
          if (msg.asString() === "bad") throw new EddyError("EDDY_DECODE_FAILED", "this message can never decode");
          ctx.storage.seen = (ctx.storage.seen ?? 0) + 1;
        },
      }),
    );
    await runtime.start();
    const target = address("test/strict", "s");
    await runtime.send(target, str("bad"));
    await runtime.send(target, str("ok-1"));
    await runtime.send(target, str("ok-2"));
    await until(() => runtime.quarantined().length === 1, "parked");
    assert.deepEqual(calls, ["bad"], "parked at the first failure");
    assert.equal(runtime.quarantined()[0]!.record.error.code, "EDDY_DECODE_FAILED");

    const dropped = await runtime.dropQuarantined(target);
    assert.ok(dropped);
    assert.equal(await runtime.dropQuarantined(target), undefined, "dropping twice finds nothing parked");
    await runtime.idle();
    assert.deepEqual(calls, ["bad", "ok-1", "ok-2"], "the dropped message is never retried; the rest run in order");
    const seen = runtime.store.read(target, "test/strict\u0000s", clock.now())[0]!.value;
    assert.deepEqual(seen, { typename: Types.int.typename, value: Types.int.serialize(2) });
    const dropLine = entries.find((e) => typeof e.msg === "string" && e.msg.includes("dropped"));
    assert.deepEqual(dropLine?.["dropped"], {
      typename: Types.string.typename,
      value: Buffer.from(Types.string.serialize("bad")).toString("base64"),
      caller: null,
      seq: (dropLine?.["dropped"] as { seq: number }).seq,
    }, "the log records the dropped message's content");
    await runtime.stop();
  });

  it("takes the attempt limit per function type: ns/name over ns/* over the default", () => {
    const policy = new QuarantinePolicy(10, [
      { functions: "shop/*", afterAttempts: 4 },
      { functions: "shop/payments", afterAttempts: 1 },
    ]);
    assert.equal(policy.afterAttempts("shop/payments"), 1);
    assert.equal(policy.afterAttempts("shop/cart"), 4);
    assert.equal(policy.afterAttempts("other/thing"), 10);
    assert.throws(() => new QuarantinePolicy(0), /integer ≥ 1/);
  });

  it("keeps a parked address parked across a restart of the durable store, with its waiting messages, and applies it exactly once after retry", async () => {
    const dir = mkdtempSync(join(tmpdir(), "eddy-quarantine-"));
    const broken = new Set(["bad"]);
    {
      const s = ledgerRuntime({ broken, store: new LmdbStateStore({ path: dir }) });
      await s.runtime.start();
      await s.runtime.send(ledger("bad"), str("poison-1"));
      await s.runtime.send(ledger("bad"), str("after-1"));
      await s.runtime.send(ledger("good"), str("hello"));
      await s.advanceUntil(() => s.runtime.quarantined().length === 1, "parked");
      await s.runtime.send(ledger("bad"), str("after-2"));
      await s.runtime.idle();
      assert.deepEqual(await s.runtime.stop(), { drained: true, pending: 0 });
    }
    broken.clear();
    {
      const calls: string[] = [];
      const s = ledgerRuntime({ broken, calls, store: new LmdbStateStore({ path: dir }) });
      await s.runtime.start();
      const [parked] = s.runtime.quarantined();
      assert.ok(parked, "still parked after the restart");
      assert.equal(parked.record.attempts, 3);
      assert.equal(parked.waiting, 2);
      assert.match(parked.record.error.message, /cannot book poison-1/);
      s.clock.advance(1000);
      await s.runtime.idle();
      assert.deepEqual(calls, [], "a parked address is not retried by a restart");
      assert.deepEqual(s.ledgerOf("good"), ["hello"]);

      await s.runtime.retryQuarantined(ledger("bad"));
      await s.runtime.idle();
      assert.deepEqual(s.ledgerOf("bad"), ["poison-1", "after-1", "after-2"]);
      assert.deepEqual(await s.runtime.stop(), { drained: true, pending: 0 });
    }
    {
      const calls: string[] = [];
      const s = ledgerRuntime({ broken, calls, store: new LmdbStateStore({ path: dir }) });
      await s.runtime.start();
      await s.runtime.idle();
      assert.deepEqual(s.runtime.quarantined(), [], "the release is durable");
      assert.deepEqual(calls, [], "nothing applies twice");
      assert.deepEqual(s.ledgerOf("bad"), ["poison-1", "after-1", "after-2"]);
      await s.runtime.stop();
    }
  });

  it("makes a drop durable: after a restart the dropped message is gone and the rest was applied once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "eddy-quarantine-"));
    const broken = new Set(["bad"]);
    {
      const s = ledgerRuntime({ broken, store: new LmdbStateStore({ path: dir }) });
      await s.runtime.start();
      await s.runtime.send(ledger("bad"), str("poison-1"));
      await s.runtime.send(ledger("bad"), str("after-1"));
      await s.advanceUntil(() => s.runtime.quarantined().length === 1, "parked");
      await s.runtime.dropQuarantined(ledger("bad"));
      await s.runtime.idle();
      assert.deepEqual(s.ledgerOf("bad"), ["after-1"]);
      await s.runtime.stop();
    }
    const calls: string[] = [];
    const s = ledgerRuntime({ broken: new Set(), calls, store: new LmdbStateStore({ path: dir }) });
    await s.runtime.start();
    await s.runtime.idle();
    assert.deepEqual(calls, []);
    assert.deepEqual(s.runtime.quarantined(), []);
    assert.deepEqual(s.ledgerOf("bad"), ["after-1"]);
    await s.runtime.stop();
  });

  it("holds an overflowing address's messages in the durable store across a restart, in order", async () => {
    const dir = mkdtempSync(join(tmpdir(), "eddy-quarantine-"));
    const release: (() => void)[] = [];
    const seen: string[] = [];
    const slow = defineFunction({
      typename: "test/slow",
      async fn(ctx, msg) {
        seen.push(`${ctx.self.id}:${msg.asString()}`);
        if (ctx.self.id === "a" && msg.asString() === "0") await new Promise<void>((r) => release.push(r));
      },
    });
    {
      const runtime = new Runtime({ logger: capturingLogger().logger, store: new LmdbStateStore({ path: dir }), partitions: 1 });
      runtime.bindFunction(slow, { maxBacklog: 2 });
      await runtime.start();
      await runtime.send(address("test/slow", "a"), str("0"));
      await until(() => release.length === 1, "a:0 in flight");
      for (let i = 1; i <= 10; i++) await runtime.send(address("test/slow", "a"), str(String(i)));
      await runtime.send(address("test/slow", "b"), str("x"));
      await until(() => seen.includes("b:x"), "b to run past a's overflow");
      await runtime.stop({ timeoutMs: 1 }); // a:0 never finishes: stops undrained, like a crash
    }
    seen.length = 0;
    const runtime = new Runtime({ logger: capturingLogger().logger, store: new LmdbStateStore({ path: dir }), partitions: 1 });
    runtime.bindFunction(defineFunction({ typename: "test/slow", fn: (ctx, msg) => void seen.push(`${ctx.self.id}:${msg.asString()}`) }), { maxBacklog: 2 });
    await runtime.start();
    await runtime.idle();
    assert.deepEqual(seen, Array.from({ length: 11 }, (_, i) => `a:${i}`), "every message of a, once, in order");
    await runtime.stop();
  });
});
