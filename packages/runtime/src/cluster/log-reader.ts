import { FetchIsolationLevels } from "@platformatic/kafka";
import type { Consumer } from "@platformatic/kafka";

/** Record batch attribute bits (Kafka's record batch format v2). */
const IS_TRANSACTIONAL = 0b1_0000;
const IS_CONTROL = 0b10_0000;
/** Control record type 0 is an abort marker (1 is a commit marker). */
const ABORT_MARKER = 0;

/** A committed record of one topic partition. */
export interface CommittedRecord {
  readonly offset: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: ReadonlyMap<string, Buffer>;
}

export interface ReadResult {
  readonly records: CommittedRecord[];
  /** The offset to read from next (past markers and aborted records too). */
  readonly next: bigint;
  /** The partition's last stable offset: everything below it is decided (committed or aborted). */
  readonly lastStable: bigint;
}

/**
 * Reads one topic partition with `read_committed` and drops the records of
 * aborted transactions. The broker returns aborted records up to the last
 * stable offset together with the list of aborted transactions; this client
 * leaves filtering them to the caller, and exactly-once needs it.
 */
export class LogReader {
  readonly topic: string;
  readonly partition: number;
  readonly #consumer: Consumer;
  readonly #maxWaitMs: number;

  constructor(consumer: Consumer, topic: string, partition: number, maxWaitMs: number) {
    this.#consumer = consumer;
    this.topic = topic;
    this.partition = partition;
    this.#maxWaitMs = maxWaitMs;
  }

  async read(from: bigint): Promise<ReadResult> {
    const metadata = await this.#consumer.metadata({ topics: [this.topic] });
    const topic = metadata.topics.get(this.topic);
    const leader = topic?.partitions[this.partition]?.leader;
    if (topic === undefined || leader === undefined || leader < 0) return { records: [], next: from, lastStable: from };
    const response = await this.#consumer.fetch({
      node: leader,
      topics: [{ topicId: topic.id, partitions: [{ partition: this.partition, fetchOffset: from, currentLeaderEpoch: -1, lastFetchedEpoch: -1, partitionMaxBytes: 4_194_304 }] }],
      maxWaitTime: this.#maxWaitMs,
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
    });
    const p = response.responses[0]?.partitions[0];
    if (p === undefined) return { records: [], next: from, lastStable: from };
    const aborted = [...(p.abortedTransactions ?? [])].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1));
    const abortedProducers = new Set<bigint>();
    let nextAborted = 0;
    const records: CommittedRecord[] = [];
    let next = from;
    for (const batch of p.records ?? []) {
      const last = batch.firstOffset + BigInt(batch.lastOffsetDelta);
      if (last + 1n > next) next = last + 1n;
      while (nextAborted < aborted.length && aborted[nextAborted]!.firstOffset <= last) {
        abortedProducers.add(aborted[nextAborted]!.producerId);
        nextAborted++;
      }
      if ((batch.attributes & IS_CONTROL) !== 0) {
        const key = batch.records[0]?.key;
        if (key !== undefined && key !== null && key.length >= 4 && key.readInt16BE(2) === ABORT_MARKER) abortedProducers.delete(batch.producerId);
        continue;
      }
      if ((batch.attributes & IS_TRANSACTIONAL) !== 0 && abortedProducers.has(batch.producerId)) continue;
      for (const record of batch.records) {
        const offset = batch.firstOffset + BigInt(record.offsetDelta);
        // A fetch returns whole batches, which may start before the requested offset.
        if (offset < from) continue;
        const headers = new Map<string, Buffer>();
        for (const [k, v] of record.headers as [Buffer, Buffer][]) headers.set(k.toString(), v);
        records.push({ offset, key: record.key, value: record.value, headers });
      }
    }
    return { records, next, lastStable: p.lastStableOffset };
  }
}
