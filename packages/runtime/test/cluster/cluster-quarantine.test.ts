// Quarantine in cluster mode survives a partition move: an address parked on one worker is still parked,
// with the same failure, on the worker that takes its partition over (its message is not retried, the
// messages behind it still wait); an operator's drop there lets them through, and stays done after
// another move. Every other effect exactly once.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { partitionOf } from "@eddy/runtime";
import { createTopics, produce, requireBroker } from "../kafka/kafka-helpers.js";
import type { EddyProcess } from "../kafka/kafka-helpers.js";
import { adminUrl, clusterSetup, readAllCommitted, startWorker, stopAll, verifyExactlyOnce } from "./cluster-helpers.js";
import type { ClusterSetup } from "./cluster-helpers.js";
import { waitFor } from "../support/wait-for.js";

interface Parked {
  readonly address: string;
  readonly attempts: number;
  readonly firstFailureAt: string;
  readonly waiting: number;
  readonly error: { readonly message: string };
}

async function parked(worker: EddyProcess): Promise<Parked[]> {
  const res = await fetch(`${adminUrl(worker)}/v1/quarantine`, { signal: AbortSignal.timeout(10_000) });
  assert.equal(res.status, 200);
  return ((await res.json()) as { items: Parked[] }).items;
}

/** Polls the worker's quarantine list until `ok` holds for it (the partition is restored and its log replayed). */
async function parkedWhen(worker: EddyProcess, ok: (items: Parked[]) => boolean, what: string): Promise<Parked[]> {
  const started = Date.now();
  for (;;) {
    const items = await parked(worker);
    if (ok(items)) return items;
    assert.ok(Date.now() - started < 60_000, `${what} within 60 s; the quarantine list is ${JSON.stringify(items)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function startOne(s: ClusterSetup, extra: readonly string[] = []): Promise<EddyProcess> {
  const worker = startWorker(s, ["--quarantine-after", "3", ...extra]);
  await worker.waitFor("eddy is running", 60_000);
  return worker;
}

describe("cluster mode: a parked address stays parked when its partition moves (real broker)", { timeout: 300_000 }, () => {
  const broker = requireBroker();

  it("parked on one worker, still parked with the same failure on the next; dropped there, its waiting messages proceed and the drop holds after another move", async () => {
    broker.assertUp();
    const s = clusterSetup("quarantine");
    await createTopics([s.input, s.output], 4);
    // q0's third input fails every time; its fourth and fifth wait behind it.
    const inputs = Array.from({ length: 40 }, (_, i) => ({ key: `q${i % 8}`, value: i === 16 ? "poison-16" : `i${i}` }));
    const good = inputs.filter((i) => !i.value.startsWith("poison"));
    const running: EddyProcess[] = [];
    try {
      const a = await startOne(s);
      running.push(a);
      await produce(s.input, inputs);
      const [onA] = await parkedWhen(a, (items) => items.length === 1 && items[0]!.waiting === 2, "worker A parks test/counter/q0 with 2 messages waiting");
      assert.equal(onA!.address, "test/counter/q0");
      assert.equal(onA!.attempts, 3);
      assert.match(onA!.error.message, /cannot count poison-16/);
      const before = await readAllCommitted(s.output, good.length - 2, 60_000, 1_000);
      assert.equal(before.length, good.length - 2, "everything but q0's waiting messages came out");
      assert.deepEqual(await stopAll([running.pop()!]), [], "worker A drains (a parked message waits for an operator, not for the drain)");

      const b = await startOne(s);
      running.push(b);
      const [onB] = await parkedWhen(b, (items) => items.length === 1 && items[0]!.waiting === 2, "worker B restores test/counter/q0 parked with its 2 waiting messages");
      assert.deepEqual(onB, onA, "the same parking: not retried by the new owner (a retry would park it again with a new first failure)");
      const drop = await fetch(`${adminUrl(b)}/v1/quarantine/test/counter/q0/drop`, { method: "POST", signal: AbortSignal.timeout(10_000) });
      assert.equal(drop.status, 200, await drop.text());
      const out = await readAllCommitted(s.output, good.length, 60_000, 1_000);
      assert.deepEqual(verifyExactlyOnce(out, good).slice(0, 10), []);
      assert.deepEqual(await stopAll([running.pop()!]), [], "worker B drains");

      const c = await startOne(s);
      running.push(c);
      await c.waitFor(/partition \d+ assigned: restored/, 60_000);
      assert.deepEqual(await parked(c), [], "the drop holds after the partition moved again");
      const after = await readAllCommitted(s.output, good.length + 1, 5_000, 1_000);
      assert.deepEqual(verifyExactlyOnce(after, good).slice(0, 10), [], "nothing ran again");
    } finally {
      assert.deepEqual(await stopAll(running), []);
    }
  });

  it("a worker that hands a partition with a parked address over to a new worker still drains at once on SIGTERM", async () => {
    broker.assertUp();
    const s = clusterSetup("handover");
    await createTopics([s.input, s.output], 4);
    // The parked address's partition is one the first worker hands over: the sticky assignment lets it keep
    // its lowest partitions (0-3 of 8) and gives the new worker the others.
    const key = Array.from({ length: 100 }, (_, i) => `h${i}`).find((k) => partitionOf(k, 8) >= 4)!;
    const moved = partitionOf(key, 8);
    const inputs = Array.from({ length: 40 }, (_, i) => ({ key: i % 8 === 0 ? key : `k${i % 8}`, value: i === 16 ? "poison-16" : `i${i}` }));
    const good = inputs.filter((i) => !i.value.startsWith("poison"));
    const running: EddyProcess[] = [];
    try {
      // A drain that waits out its timeout exits 1; 3 s is ample for this worker's few messages.
      const a = await startOne(s, ["--drain-timeout", "3000"]);
      running.push(a);
      await produce(s.input, inputs);
      await parkedWhen(a, (items) => items.length === 1 && items[0]!.waiting === 2, `worker A parks test/counter/${key} with 2 messages waiting`);
      await readAllCommitted(s.output, good.length - 2, 60_000, 1_000);

      const b = await startOne(s);
      running.push(b);
      await b.waitFor(new RegExp(`partition ${moved} assigned: restored`), 60_000);
      await a.waitFor(new RegExp(`partition ${moved} revoked`), 60_000);
      const metrics = await fetch(`${adminUrl(a)}/v1/functions`, { signal: AbortSignal.timeout(10_000) });
      const pending = ((await metrics.json()) as { pendingMessages: number }).pendingMessages;
      assert.equal(pending, 0, "worker A holds no accepted message any more: the parked one and the two behind it moved with the partition");
      assert.deepEqual(await stopAll([running.shift()!]), [], "worker A drains at once (it gave the parked address's messages up with the partition)");

      await parkedWhen(b, (items) => items.length === 1 && items[0]!.waiting === 2, `worker B holds test/counter/${key} parked with its 2 waiting messages`);
      // Worker A's leave rebalances the group: a drop whose transaction the rebalance refuses, or that arrives
      // while the partition restores again, answers 503 (the address stays parked); repeated, it goes through.
      await waitFor(`worker B to drop test/counter/${key}`, async () => {
        const drop = await fetch(`${adminUrl(b)}/v1/quarantine/test/counter/${key}/drop`, { method: "POST", signal: AbortSignal.timeout(10_000) });
        const text = await drop.text();
        if (drop.status !== 503) assert.equal(drop.status, 200, text);
        return drop.status === 200;
      }, 60_000);
      const out = await readAllCommitted(s.output, good.length, 60_000, 1_000);
      assert.deepEqual(verifyExactlyOnce(out, good).slice(0, 10), []);
    } finally {
      assert.deepEqual(await stopAll(running), []);
    }
  });
});
