import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Consumer, FetchIsolationLevels, ProtocolError, Producer } from "@platformatic/kafka";
import { PartitionFetcher } from "../../src/io/kafka/partition-fetcher.js";
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

/** Record batch attribute bit of a control batch (a transaction marker). */
const IS_CONTROL = 0b10_0000;

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
  let up = false;
  let producer: Producer<Buffer, Buffer, Buffer, Buffer>;
  let consumer: Consumer;
  let fetcher: PartitionFetcher;
  const topic = unique("pipeline");

  before(async () => {
    // No broker is a failure of each test (assert.ok(up, NO_BROKER)), never a skip: `npm test` starts one.
    up = await brokerUp();
    if (!up) return;
    await createTopics([topic], 4);
    producer = new Producer({ clientId: "eddy-test-pipeline", bootstrapBrokers: [BROKER], transactionalId: unique("test-pipeline"), idempotent: true, producerId: -1n, producerEpoch: -1, acks: -1, retries: 5, retryDelay });
    consumer = new Consumer({ clientId: "eddy-test-markers", groupId: unique("markers"), bootstrapBrokers: [BROKER] });
    fetcher = new PartitionFetcher(consumer, "eddy-test-markers");
  });

  after(async () => {
    if (!up) return;
    await producer.close();
    await fetcher.close();
    await closeQuietly(consumer);
  });

  /** Transaction markers (control batches) in one partition: one per transaction that included it. */
  const markers = async (partition: number): Promise<number> => {
    const metadata = await consumer.metadata({ topics: [topic] });
    const info = metadata.topics.get(topic)!;
    const response = await fetcher.fetch({
      node: info.partitions[partition]!.leader,
      topics: [{ topicId: info.id, partitions: [{ partition, fetchOffset: 0n, currentLeaderEpoch: -1, lastFetchedEpoch: -1, partitionMaxBytes: 1_048_576 }] }],
      maxWaitTime: 10,
      isolationLevel: FetchIsolationLevels.READ_UNCOMMITTED,
    });
    return (response.responses[0]?.partitions[0]?.records ?? []).filter((batch) => (batch.attributes & IS_CONTROL) !== 0).length;
  };

  /** Waits for `expected` markers in the partition, then a moment longer so that one too many would show. */
  const settledMarkers = async (partition: number, expected: number): Promise<number> => {
    await until(async () => (await markers(partition)) >= expected, `${expected} markers in partition ${partition}`);
    const settleUntil = Date.now() + 500;
    await until(async () => Date.now() > settleUntil || (await markers(partition)) > expected, "settling");
    return markers(partition);
  };

  const send = async (pipeline: TransactionPipeline, partitions: number[], value: string): Promise<void> => {
    const transaction = await pipeline.take();
    const sent = await transaction.send({ messages: partitions.map((partition) => ({ topic, partition, key: Buffer.from("k"), value: Buffer.from(`${partition}:${value}`) })) });
    await transaction.commit();
    pipeline.committed([sent]);
  };

  it("begins the next transaction with the partitions the last two wrote and commits it empty when no records come; every record is committed once", async () => {
    assert.ok(up, NO_BROKER);
    const pipeline = new TransactionPipeline(producer, { idleMs: 200 });
    await send(pipeline, [0, 1], "1");
    await send(pipeline, [0, 1], "2");
    // The third transaction, begun ahead with partitions 0 and 1, gets no record: once idle it commits empty,
    // which leaves only its marker there.
    assert.equal(await settledMarkers(0, 3), 3);
    assert.equal(await settledMarkers(1, 3), 3);
    await pipeline.close();
    const records = await readCommitted(topic, 4, 15_000, 500);
    assert.deepEqual(records.filter((r) => r.partition < 2).map((r) => r.value).sort(), ["0:1", "0:2", "1:1", "1:2"]);
  });

  it("adds nothing ahead when transactions alternate between partitions, so no marker lands where no record goes", async () => {
    assert.ok(up, NO_BROKER);
    const pipeline = new TransactionPipeline(producer, { idleMs: 100 });
    for (const [i, partition] of [3, 2, 3, 2].entries()) await send(pipeline, [partition], String(i));
    await pipeline.close();
    assert.equal(await settledMarkers(3, 2), 2);
    assert.equal(await settledMarkers(2, 2), 2);
  });
});
