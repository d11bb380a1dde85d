/**
 * The embedded store's log, when a message is accepted and consumed before
 * the group commit holding its log write starts: the commit's removal
 * cancels the write, the transaction holds only the message's effects, and
 * what a restart finds is the same as with both writes.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { address, defineFunction, playgroundEgressMessage, Types } from "@eddy/sdk";
import type { Address } from "@eddy/sdk";
import type { CommitUnit } from "@eddy/runtime";
import { LmdbStateStore, PlaygroundEgress, Runtime, silentLogger } from "@eddy/runtime";

type Envelope = CommitUnit["consumed"][number];

const TYPE = "test/log";
const SPECS = [{ name: "count", typename: Types.int.typename, expireMode: "none" as const, expireAfterMs: 0 }];
const freshDir = () => mkdtempSync(join(tmpdir(), "eddy-log-cancel-"));

/** A store on a fresh data directory, with the probe type's specs registered. */
function freshStore(): { dir: string; store: LmdbStateStore } {
  const dir = freshDir();
  const store = new LmdbStateStore({ path: dir });
  store.registerSpecs(TYPE, SPECS);
  return { dir, store };
}

function accepted(id: string, text: string): Envelope {
  const target = address(TYPE, id);
  return { target, key: `${TYPE}\u0000${id}`, caller: undefined, argument: { typename: Types.string.typename, value: Types.string.serialize(text) }, seq: 0 };
}

/** The unit an invocation of `m`'s address commits: count = `count`, one egress record. */
function consuming(m: Envelope, count: number): CommitUnit {
  return {
    target: m.target,
    targetKey: m.key,
    functionType: TYPE,
    invokedAt: Date.now(),
    consumed: [m],
    mutations: [{ kind: "modify", name: "count", value: { typename: Types.int.typename, value: Types.int.serialize(count) } }],
    messages: [],
    delayed: [],
    egress: [{ id: 0, egress: "test/out", value: { typename: Types.string.typename, value: Types.string.serialize(`${m.target.id}:${count}`) } }],
  };
}

function countOf(store: LmdbStateStore, target: Address): number | undefined {
  const value = store.read(target, "", Date.now()).find((e) => e.name === "count")?.value;
  return value === undefined ? undefined : Types.int.deserialize(value.value ?? new Uint8Array(0));
}

async function reopened(dir: string, inspect: (store: LmdbStateStore) => void): Promise<void> {
  const store = new LmdbStateStore({ path: dir });
  try {
    inspect(store);
  } finally {
    await store.close();
  }
}

describe("LmdbStateStore: a log write and its removal in one group commit", () => {
  it("cancel each other: the accept resolves with the message's effects on disk and nothing in the log", async () => {
    const { dir, store } = freshStore();
    const m = accepted("a", "one");
    const accepting = store.appendInput([m]);
    const committing = store.commit(consuming(m, 1));
    await accepting;
    // The same transaction: the effect is committed by the time the accept may be acknowledged.
    assert.equal(countOf(store, m.target), 1);
    await committing;
    assert.equal(store.cancelledLogPuts, 1);
    await store.close();
    await reopened(dir, (s) => {
      const recovered = s.recover();
      assert.deepEqual(recovered.messages, [], "nothing left to process");
      assert.deepEqual(recovered.egress.map((r) => Types.string.deserialize(r.value.value!)), ["a:1"]);
      assert.equal(countOf(s, m.target), 1);
    });
  });

  it("do not meet across group commits: a message consumed after its accept is on disk is removed from the log", async () => {
    const { dir, store } = freshStore();
    const m = accepted("b", "one");
    await store.appendInput([m]);
    await store.close();
    await reopened(dir, (s) => assert.deepEqual(s.recover().messages.map((r) => r.seq), [m.seq], "accepted and not consumed: in the log"));
    const again = new LmdbStateStore({ path: dir });
    const [logged] = again.recover().messages;
    await again.commit(consuming(logged!, 1));
    assert.equal(again.cancelledLogPuts, 0);
    await again.close();
    await reopened(dir, (s) => {
      assert.deepEqual(s.recover().messages, []);
      assert.equal(countOf(s, m.target), 1);
    });
  });

  it("keep a message moved to the held area in its accept's group commit, and drop one taken back and consumed there", async () => {
    const { dir, store } = freshStore();
    const kept = accepted("c", "kept");
    const [first, second] = [accepted("d", "first"), accepted("d", "second")];
    const accepting = store.appendInput([kept, first, second]);
    const holding = store.hold([kept, first, second]);
    // Address d takes its messages back and consumes the first, all before the group commit starts.
    const taken = store.takeHeld(first.target, first.key, 1);
    assert.deepEqual(taken.map((t) => t.seq), [first.seq]);
    const committing = store.commit(consuming(taken[0]!, 1));
    await Promise.all([accepting, holding, committing]);
    await store.close();
    await reopened(dir, (s) => {
      assert.deepEqual(
        s.recover().messages.map((r) => [r.target.id, Types.string.deserialize(r.argument.value!)]),
        [
          ["c", "kept"],
          ["d", "second"],
        ],
        "the held messages, and not the consumed one",
      );
      assert.equal(countOf(s, first.target), 1);
    });
  });

  it("give the same state after a restart when a runtime processes messages as they are accepted", async () => {
    const dir = freshDir();
    const counter = defineFunction({
      typename: TYPE,
      state: { count: Types.int },
      fn(ctx) {
        const count = (ctx.storage.count ?? 0) + 1;
        ctx.storage.count = count;
        ctx.sendEgress(playgroundEgressMessage({ topic: "out", payload: `${ctx.self.id}:${count}` }));
      },
    });
    const store = new LmdbStateStore({ path: dir });
    const runtime = new Runtime({ logger: silentLogger(), store });
    runtime.bindFunction(counter);
    runtime.bindEgress(new PlaygroundEgress({ port: 0, topics: ["out"] }));
    await runtime.start();
    const keys = ["p", "q", "r", "s"];
    await Promise.all(Array.from({ length: 40 }, (_, i) => runtime.send(address(TYPE, keys[i % keys.length]!), { typename: Types.string.typename, value: Types.string.serialize(`m${i}`) })));
    await runtime.idle();
    const cancelled = store.cancelledLogPuts;
    await runtime.stop();
    assert.ok(cancelled > 0, "some messages were consumed in the group commit that accepted them");
    await reopened(dir, (s) => {
      const recovered = s.recover();
      assert.deepEqual(recovered.messages, []);
      assert.equal(recovered.egress.length, 40, "every greeting waits for its GET");
      for (const k of keys) assert.equal(countOf(s, address(TYPE, k)), 10);
    });
  });
});
