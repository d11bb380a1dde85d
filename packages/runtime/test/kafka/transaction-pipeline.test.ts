import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Consumer, ListOffsetTimestamps, ProtocolError, Producer } from "@platformatic/kafka";
import { closeQuietly, retryDelay } from "../../src/io/kafka/kafka-common.js";
import { TransactionPipeline } from "../../src/io/kafka/transaction-pipeline.js";
import { BROKER, brokerUp, createTopics, NO_BROKER, readCommitted, unique } from "./kafka-helpers.js";

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("retrying what a busy transaction coordinator refuses", () => {
  it("gives CONCURRENT_TRANSACTIONS a growing delay worth over 300 ms across the client's 5 retries", () => {
    const busy = new ProtocolError("CONCURRENT_TRANSACTIONS");
    const delays = [1, 2, 3, 4, 5].map((attempt) => retryDelay(undefined, "addPartitionsToTransaction", attempt, 5, busy));
    // A loaded broker took longer than five 10 ms retries to write the previous transaction's markers.
    assert.ok(delays.reduce((a, b) => a + b, 0) >= 300, `delays ${delays.join(", ")}`);
    assert.ok(delays[0]! <= 20, "the first retry is still soon");
  });
});

describe("TransactionPipeline (real broker)", { timeout: 60_000 }, () => {
  let skip: string | undefined;
  let producer: Producer<Buffer, Buffer, Buffer, Buffer>;
  let offsets: Consumer;
  const topic = unique("pipeline");

  before(async () => {
    if (!(await brokerUp())) {
      skip = NO_BROKER;
      return;
    }
    await createTopics([topic], 4);
    producer = new Producer({ clientId: "eddy-test-pipeline", bootstrapBrokers: [BROKER], transactionalId: unique("test-pipeline"), idempotent: true, producerId: -1n, producerEpoch: -1, acks: -1, retries: 5, retryDelay });
    offsets = new Consumer({ clientId: "eddy-test-offsets", groupId: unique("offsets"), bootstrapBrokers: [BROKER] });
  });

  after(async () => {
    if (skip !== undefined) return;
    await producer.close();
    await closeQuietly(offsets);
  });

  const endOffset = async (partition: number): Promise<bigint> => {
    const found = await offsets.listOffsets({ topics: [topic], partitions: { [topic]: [partition] }, timestamp: ListOffsetTimestamps.LATEST });
    return found.get(topic)![partition]!;
  };

  it("begins the next transaction with the last one's partitions, commits it empty when no records come, and every record is committed once", async (t) => {
    if (skip !== undefined) return t.skip(skip);
    const pipeline = new TransactionPipeline(producer, { idleMs: 200 });
    const first = await pipeline.take();
    const sent = await first.send({
      messages: [
        { topic, partition: 0, key: Buffer.from("a"), value: Buffer.from("a1") },
        { topic, partition: 1, key: Buffer.from("b"), value: Buffer.from("b1") },
      ],
    });
    await first.commit();
    const afterFirst = await endOffset(0);
    pipeline.committed([sent]);

    // The transaction begun ahead holds partitions 0 and 1 and gets no record: once idle it commits empty, which
    // leaves only a commit marker (one offset) in partition 0.
    await until(async () => (await endOffset(0)) > afterFirst, "the idle transaction's commit marker in partition 0");
    assert.equal(await endOffset(0), afterFirst + 1n);

    const second = await pipeline.take();
    await second.send({ messages: [{ topic, partition: 2, key: Buffer.from("c"), value: Buffer.from("c1") }] });
    await second.commit();
    await pipeline.close();

    const records = await readCommitted(topic, 3, 15_000, 500);
    assert.deepEqual(records.map((r) => `${r.partition}:${r.value}`).sort(), ["0:a1", "1:b1", "2:c1"]);
  });
});
