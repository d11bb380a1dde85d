import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { address, defineFunction, message, playgroundEgressMessage, Types, isEddyError } from "@eddy/sdk";
import type { TypedValue } from "@eddy/sdk";
import { exportSnapshot, importSnapshot, LmdbStateStore, ManualClock, PlaygroundEgress, Runtime, silentLogger } from "@eddy/runtime";

const freshDir = () => mkdtempSync(join(tmpdir(), "eddy-store-"));

const counter = defineFunction({
  typename: "test/counter",
  state: { count: Types.int, note: { type: Types.string, expireAfterWrite: 60_000 } },
  fn(ctx, msg) {
    const text = msg.asString();
    const count = (ctx.storage.count ?? 0) + 1;
    ctx.storage.count = count;
    ctx.storage.note = text;
    if (text === "remind") ctx.sendAfter(5_000, message({ to: ctx.self, value: "reminder", type: Types.string }), "r");
    ctx.sendEgress(playgroundEgressMessage({ topic: "out", payload: `${ctx.self.id}:${text}:${count}` }));
  },
});

function runtimeOn(store: LmdbStateStore, clock = new ManualClock(1_000_000)) {
  const runtime = new Runtime({ logger: silentLogger(), store, clock });
  const egress = new PlaygroundEgress({ port: 0, topics: ["out"] });
  runtime.bindFunction(counter);
  runtime.bindEgress(egress);
  return { runtime, egress, clock };
}

const text = (s: string): TypedValue => ({ typename: Types.string.typename, value: Types.string.serialize(s) });

describe("LmdbStateStore", () => {
  it("keeps state, registered specs, pending timers and untaken egress records across a restart", async () => {
    const dir = freshDir();
    {
      const { runtime, egress } = runtimeOn(new LmdbStateStore({ path: dir }));
      await runtime.start();
      await runtime.send(address("test/counter", "a"), text("one"));
      await runtime.send(address("test/counter", "a"), text("remind"));
      await runtime.idle();
      assert.equal(egress.pop("out"), "a:one:1");
      await runtime.stop();
    }
    const clock = new ManualClock(1_000_000);
    const store = new LmdbStateStore({ path: dir });
    assert.deepEqual(
      store.specsOf("test/counter").map((s) => [s.name, s.typename, s.expireMode]),
      [
        ["count", "io.statefun.types/int", "none"],
        ["note", "io.statefun.types/string", "after-write"],
      ],
    );
    const { runtime, egress } = runtimeOn(store, clock);
    await runtime.start();
    assert.equal(egress.pop("out"), "a:remind:2", "the record not yet taken before the restart is served after it");
    assert.equal(runtime.pendingDelayedMessages, 1);
    clock.advance(5_000);
    await runtime.idle();
    assert.equal(egress.pop("out"), "a:reminder:3");
    await runtime.stop();
  });

  it("takes an egress record out of the store once it has been popped", async () => {
    const dir = freshDir();
    {
      const { runtime, egress } = runtimeOn(new LmdbStateStore({ path: dir }));
      await runtime.start();
      await runtime.send(address("test/counter", "b"), text("x"));
      await runtime.idle();
      assert.equal(egress.pop("out"), "b:x:1");
      await runtime.stop();
    }
    const store = new LmdbStateStore({ path: dir });
    assert.deepEqual(store.recover().egress, []);
    await store.close();
  });

  it("refuses a directory that is not an Eddy data directory, and one from a newer Eddy", () => {
    const foreign = freshDir();
    writeFileSync(join(foreign, "important.txt"), "not ours");
    assert.throws(() => new LmdbStateStore({ path: foreign }), (e: unknown) => isEddyError(e, "EDDY_STORE_INVALID") && /not an Eddy data directory/.test(e.message));
    const newer = freshDir();
    writeFileSync(join(newer, "eddy-store.json"), JSON.stringify({ format: 99 }));
    assert.throws(() => new LmdbStateStore({ path: newer }), /written by a newer Eddy \(store format 99/);
    const damaged = freshDir();
    writeFileSync(join(damaged, "eddy-store.json"), "{{{");
    assert.throws(() => new LmdbStateStore({ path: damaged }), /damaged/);
  });

  it("refuses a second runtime on the same directory while the first is alive, and takes over a stale lock", async () => {
    const dir = freshDir();
    const first = new LmdbStateStore({ path: dir });
    await first.close();
    // A lock left by a live process (our parent) must be respected.
    writeFileSync(join(dir, "eddy.lock"), `${process.ppid}\n`);
    assert.throws(() => new LmdbStateStore({ path: dir }), (e: unknown) => isEddyError(e, "EDDY_STORE_LOCKED") && e.message.includes(String(process.ppid)));
    // A lock left by a process that is gone is taken over.
    writeFileSync(join(dir, "eddy.lock"), "999999999\n");
    const second = new LmdbStateStore({ path: dir });
    await second.close();
  });

  it("exports a data directory to a snapshot file and imports it into an empty one, unchanged", async () => {
    const dir = freshDir();
    {
      const { runtime } = runtimeOn(new LmdbStateStore({ path: dir }));
      await runtime.start();
      for (const id of ["a", "b", "c"]) await runtime.send(address("test/counter", id), text(`hello-${id}`));
      await runtime.send(address("test/counter", "a"), text("remind"));
      await runtime.idle();
      await runtime.stop();
    }
    const file = join(freshDir(), "snapshot.jsonl");
    const source = new LmdbStateStore({ path: dir });
    const exported = await exportSnapshot(source, file);
    const before = [...source.snapshot()];
    await source.close();
    assert.ok(exported >= 8, `exported ${exported} records`);

    const target = freshDir();
    const restored = new LmdbStateStore({ path: target });
    assert.equal(await importSnapshot(file, restored), exported);
    assert.deepEqual([...restored.snapshot()], before);
    const a = restored.read(address("test/counter", "a"), "", 1_000_000);
    assert.equal(Types.int.deserialize(a.find((s) => s.name === "count")!.value!.value!), 2);
    await assert.rejects(importSnapshot(file, restored), /already holds data/);
    await restored.close();

    const notSnapshot = join(freshDir(), "x.jsonl");
    writeFileSync(notSnapshot, '{"hello":1}\n');
    const empty = new LmdbStateStore({ path: join(freshDir(), "new") });
    await assert.rejects(importSnapshot(notSnapshot, empty), /not an Eddy snapshot/);
    await empty.close();
  });

  it("keeps ingress positions and the next id through an export and import", async () => {
    const source = new LmdbStateStore({ path: freshDir() });
    const m = { target: address("test/counter", "a"), key: "test/counter\u0000a", caller: undefined, argument: text("x"), seq: 0 };
    await source.appendInput([m], { ingress: "test/in", partition: "names/3", next: "42" });
    const file = join(freshDir(), "snapshot.jsonl");
    await exportSnapshot(source, file);
    await source.close();
    const target = new LmdbStateStore({ path: freshDir() });
    await importSnapshot(file, target);
    assert.equal(target.inputPosition("test/in", "names/3"), "42");
    const next = { ...m, seq: 0 };
    await target.appendInput([next]);
    assert.ok(next.seq > m.seq, "ids continue after the imported ones");
    await target.close();
  });

  it("keeps ids in order beyond 2^32", async () => {
    const dir = freshDir();
    const store = new LmdbStateStore({ path: dir });
    const big = 2 ** 32 + 5;
    await store.load([{ t: "ids", next: big }]);
    const m = { target: address("test/counter", "a"), key: "test/counter\u0000a", caller: undefined, argument: text("x"), seq: 0 };
    await store.appendInput([m]);
    assert.equal(m.seq, big);
    assert.deepEqual(store.recover().messages.map((r) => r.seq), [big]);
    await store.close();
  });

  it("drops an expired value from disk once its address is invoked again", async () => {
    const store = new LmdbStateStore({ path: freshDir() });
    const clock = new ManualClock(1_000_000);
    const runtime = new Runtime({ logger: silentLogger(), store, clock });
    const once = defineFunction({
      typename: "test/once",
      state: { x: { type: Types.string, expireAfterWrite: 1_000 } },
      fn(ctx, msg) {
        if (msg.asString() === "set") ctx.storage.x = "value";
      },
    });
    runtime.bindFunction(once);
    await runtime.start();
    await runtime.send(address("test/once", "t"), text("set"));
    await runtime.idle();
    assert.equal(store.stateEntryCount, 1);
    clock.advance(1_500);
    await runtime.send(address("test/once", "t"), text("look"));
    await runtime.idle();
    assert.equal(store.stateEntryCount, 0, "the expired value is gone from disk, not just hidden");
    await runtime.stop();
  });

  it("creates a missing data directory", async () => {
    const parent = freshDir();
    mkdirSync(join(parent, "a"));
    const store = new LmdbStateStore({ path: join(parent, "a", "b", "c") });
    await store.close();
  });

  it("creates the data directory readable only by its user (700) and its files 600", async () => {
    const previous = process.umask(0o022); // the common default, which leaves new files world-readable
    const dir = join(freshDir(), "data");
    const { runtime } = runtimeOn(new LmdbStateStore({ path: dir }));
    try {
      await runtime.start();
      await runtime.send(address("test/counter", "a"), text("x"));
      await runtime.idle();
      assert.equal(statSync(dir).mode & 0o777, 0o700, "the data directory");
      const files = readdirSync(dir);
      assert.ok(files.length >= 3, `marker, lock and LMDB files: ${files.join(", ")}`);
      for (const file of files) assert.equal(statSync(join(dir, file)).mode & 0o777, 0o600, file);
    } finally {
      process.umask(previous);
      await runtime.stop();
    }
  });
});

describe("LmdbStateStore ids", () => {
  it("never hands out an id again after a restart, even once log and outbox are empty", async () => {
    const dir = freshDir();
    {
      const { runtime, egress } = runtimeOn(new LmdbStateStore({ path: dir }));
      await runtime.start();
      await runtime.send(address("test/counter", "a"), text("one")); // id 1: the message, id 2: its egress record
      await runtime.idle();
      assert.equal(egress.pop("out"), "a:one:1");
      await runtime.stop();
    }
    const reopened = new LmdbStateStore({ path: dir });
    const recovered = reopened.recover();
    assert.deepEqual([recovered.messages.length, recovered.egress.length], [0, 0], "nothing is left to resume");
    const m = { target: address("test/counter", "b"), key: "test/counter\u0000b", caller: undefined, argument: text("x"), seq: 0 };
    await reopened.appendInput([m]);
    assert.ok(m.seq > 2, `the next id (${m.seq}) continues after the ids of the first run`);
    await reopened.close();
  });
});
