// A transaction that fails the same way every time (here a Kafka egress record larger than the broker takes) stops
// only the partition whose work put the record in it. The worker's other partitions shared the first such
// transaction, so they fail once and restore; after that each partition of a failed transaction commits alone until
// one of its transactions commits, so the failing partition's retries fail only itself: every other partition fails
// at most once, and every input outside the failing partition is processed, exactly once. The failing partition
// retries with a growing delay.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { partitionOf } from "@eddy/runtime";
import { createTopics, produce, requireBroker } from "../kafka/kafka-helpers.js";
import { clusterSetup, readAllCommitted, startWorker, stopAll, verifyExactlyOnce } from "./cluster-helpers.js";
import { waitFor } from "../support/wait-for.js";

const PARTITIONS = 8;

describe("cluster mode: a record the broker refuses stops only its own partition (real broker)", { timeout: 300_000 }, () => {
  const broker = requireBroker();

  it("one worker; an oversized egress record keeps failing its partition's transactions; every other partition's inputs are processed exactly once", async () => {
    broker.assertUp();
    const s = clusterSetup("oversized");
    await createTopics([s.input, s.output], 4);
    const keys = Array.from({ length: 16 }, (_, i) => `o${i}`);
    const oversizedKey = keys[3]!;
    // Its counter and emit run in its partition; the relay of every key whose relay lands there waits behind it too.
    const stuck = partitionOf(oversizedKey, PARTITIONS);
    const inputs = Array.from({ length: 96 }, (_, i) => ({ key: keys[i % keys.length]!, value: i === 19 ? "oversized-19" : `i${i}` }));
    const free = (key: string): boolean => partitionOf(key, PARTITIONS) !== stuck && partitionOf(`${key}~relay`, PARTITIONS) !== stuck;
    const expected = inputs.filter((i) => free(i.key));
    assert.ok(expected.length >= 24, `enough inputs outside partition ${stuck} (${expected.length})`);
    const worker = startWorker(s);
    let stopped = false;
    try {
      await worker.waitFor("eddy is running", 60_000);
      await produce(s.input, inputs.slice(0, 20));
      await worker.waitFor(/a transaction failed/, 60_000);
      await produce(s.input, inputs.slice(20));
      const out = (await readAllCommitted(s.output, expected.length, 90_000, 2_000)).filter((r) => free(r.key));
      const failures = worker.output().split("\n").filter((l) => /a transaction failed/.test(l));
      assert.deepEqual(verifyExactlyOnce(out, expected).slice(0, 10), [], failures.slice(-10).join("\n"));
      const others = new Map<number, number>();
      for (const line of failures) {
        const partition = (JSON.parse(line) as { partition: number }).partition;
        if (partition !== stuck) others.set(partition, (others.get(partition) ?? 0) + 1);
      }
      assert.ok(failures.length > others.size, `the oversized record's partition ${stuck} failed its transactions again and again`);
      assert.deepEqual([...others].filter(([, n]) => n > 1), [], `partitions other than ${stuck} failed at most once each:\n${failures.join("\n")}`);
      // The failing partition backs off further each time (before, its delay was reset whenever it reopened, so it
      // retried at ~0.5-1 s forever): the third delay is at least 1.6 s, more than the first can be.
      const stuckDelays = (): number[] =>
        worker
          .output()
          .split("\n")
          .filter((l) => /a transaction failed/.test(l))
          .map((l) => JSON.parse(l) as { partition: number; retryInMs: number })
          .filter((l) => l.partition === stuck)
          .map((l) => l.retryInMs);
      await waitFor(`partition ${stuck} to fail a third time`, () => stuckDelays().length >= 3, 60_000);
      const delays = stuckDelays();
      assert.ok(delays[0]! <= 800 && delays[2]! >= 1_600, `partition ${stuck}'s delays grow: ${delays.join(", ")} ms`);
      stopped = true;
      assert.deepEqual(await stopAll([worker]), [], "the worker drains and exits on SIGTERM");
    } finally {
      if (!stopped) await stopAll([worker]);
    }
  });
});
