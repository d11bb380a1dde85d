// A changelog record that cannot be read (here a state record whose value is not JSON, written by someone else)
// stops only the partition it belongs to: the worker says which record of which partition, retries that partition
// with backoff, and processes every other partition's inputs exactly once.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Producer } from "@platformatic/kafka";
import { partitionOf } from "@eddy/runtime";
import { BROKER, createTopics, produce, requireBroker } from "../kafka/kafka-helpers.js";
import { clusterSetup, readAllCommitted, startWorker, stopAll, verifyExactlyOnce } from "./cluster-helpers.js";
import { waitFor } from "../support/wait-for.js";

const PARTITIONS = 8;

describe("cluster mode: a changelog record that cannot be read stops only its partition (real broker)", { timeout: 300_000 }, () => {
  const broker = requireBroker();

  it("a damaged state record in one changelog partition: that partition is retried and named, every other partition's inputs exactly once", async () => {
    broker.assertUp();
    const s = clusterSetup("corrupt");
    await createTopics([s.input, s.output], 4);
    const keys = Array.from({ length: 16 }, (_, i) => `c${i}`);
    const damagedKey = keys[5]!;
    const damaged = partitionOf(damagedKey, PARTITIONS);
    // A key's counter, relay and emit must all live outside the damaged partition for its output to come out.
    const free = (key: string): boolean => partitionOf(key, PARTITIONS) !== damaged && partitionOf(`${key}~relay`, PARTITIONS) !== damaged;
    const before = keys.map((key) => ({ key, value: `${key}-1` }));
    const after = keys.map((key) => ({ key, value: `${key}-2` }));
    const expected = [...before.filter((i) => free(i.key)), ...after.filter((i) => free(i.key))];
    assert.ok(expected.length >= 8, `enough keys outside partition ${damaged}`);

    // A first worker creates the cluster's topics and writes some state, then stops cleanly.
    const first = startWorker(s);
    await first.waitFor("eddy is running", 60_000);
    await produce(s.input, before);
    await readAllCommitted(s.output, before.length, 60_000, 500);
    assert.deepEqual(await stopAll([first]), []);

    const producer = new Producer({ clientId: "eddy-test-damage", bootstrapBrokers: [BROKER] });
    try {
      await producer.send({ messages: [{ topic: `eddy.${s.cluster}.changelog`, partition: damaged, key: Buffer.from(`a\u0000test/counter\u0000${damagedKey}`), value: Buffer.from("{not json") }] });
    } finally {
      await producer.close();
    }

    const second = startWorker(s);
    try {
      await second.waitFor("eddy is running", 60_000);
      await produce(s.input, after);
      const named = new RegExp(`partition ${damaged} could not be opened`);
      await waitFor(`the worker to name partition ${damaged} twice`, () => second.output().split("\n").filter((l) => named.test(l)).length >= 2, 60_000);
      const failure = second.output().split("\n").find((l) => named.test(l))!;
      assert.match(failure, new RegExp(`changelog partition ${damaged}: record .*${damagedKey}.* cannot be read`), "the log names the partition and the record");
      const out = (await readAllCommitted(s.output, before.length + expected.length - before.filter((i) => free(i.key)).length, 60_000, 2_000)).filter((r) => free(r.key));
      assert.deepEqual(verifyExactlyOnce(out, expected).slice(0, 10), [], "every input outside the damaged partition, exactly once");
      assert.equal(second.child.exitCode, null, "the worker runs on");
    } finally {
      assert.deepEqual(await stopAll([second]), [], "the worker drains and exits with one partition it could not open");
    }
  });
});
