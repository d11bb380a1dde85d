import { FetchIsolationLevels } from "@platformatic/kafka";
import { EddyError } from "@eddy/sdk";
import { committedRecords } from "../io/kafka/committed-records.js";
import type { PartitionFetcher } from "../io/kafka/partition-fetcher.js";

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
  /** The partition's high watermark: above the last stable offset while a transaction that wrote to it is open. */
  readonly highWatermark: bigint;
  /** The topic's id: a topic deleted and created again under the same name has another one. */
  readonly topicId: string;
}

/**
 * How long a read of the log or of an ingress source partition waits on the broker when the partition has nothing new.
 * The broker answers a long poll as soon as records arrive or a transaction's marker moves the last stable offset, so
 * this sets only how often an idle partition is asked again (with 100 ms a settled 1-worker cluster sent its broker
 * about 160 empty fetches a second), not how long a new record waits.
 */
export const IDLE_POLL_MS = 500;

/**
 * Reads one topic partition with `read_committed`, without the records of
 * aborted transactions (committedRecords).
 */
export class LogReader {
  readonly topic: string;
  readonly partition: number;
  readonly #fetcher: PartitionFetcher;
  readonly #maxWaitMs: number;

  constructor(fetcher: PartitionFetcher, topic: string, partition: number, maxWaitMs: number) {
    this.#fetcher = fetcher;
    this.topic = topic;
    this.partition = partition;
    this.#maxWaitMs = maxWaitMs;
  }

  /**
   * Reads from `from` on (waiting up to the reader's maxWaitMs for records).
   * Throws a retryable EDDY_CLUSTER_FAILED while the partition has no known
   * leader: an empty answer would read as "nothing there" (a restore would
   * end with nothing restored) and a caller's loop would spin without ever
   * yielding to the event loop.
   */
  async read(from: bigint): Promise<ReadResult> {
    let metadata = await this.#fetcher.metadata([this.topic]);
    if (leaderOf(metadata, this.topic, this.partition) === undefined) metadata = await this.#fetcher.metadata([this.topic], true);
    const topic = metadata.topics.get(this.topic);
    const leader = leaderOf(metadata, this.topic, this.partition);
    if (topic === undefined || leader === undefined) {
      throw new EddyError("EDDY_CLUSTER_FAILED", `${this.topic} partition ${this.partition} has no leader in the cluster metadata yet; reading it again shortly`, { retryable: true });
    }
    const response = await this.#fetcher.fetch({
      node: leader,
      topics: [{ topicId: topic.id, partitions: [{ partition: this.partition, fetchOffset: from, currentLeaderEpoch: -1, lastFetchedEpoch: -1, partitionMaxBytes: 4_194_304 }] }],
      maxWaitTime: this.#maxWaitMs,
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
    });
    const p = response.responses[0]?.partitions[0];
    if (p === undefined) throw new EddyError("EDDY_CLUSTER_FAILED", `the broker's answer for ${this.topic} partition ${this.partition} holds no partition`, { retryable: true });
    const read = committedRecords(p, from, true);
    const records = read.records.map(({ offset, record }): CommittedRecord => {
      const headers = new Map<string, Buffer>();
      for (const [k, v] of record.headers as [Buffer, Buffer][]) headers.set(k.toString(), v);
      return { offset, key: record.key, value: record.value, headers };
    });
    const next = read.next;
    return { records, next, lastStable: p.lastStableOffset, highWatermark: p.highWatermark, topicId: topic.id };
  }
}

function leaderOf(metadata: Awaited<ReturnType<PartitionFetcher["metadata"]>>, topic: string, partition: number): number | undefined {
  const leader = metadata.topics.get(topic)?.partitions[partition]?.leader;
  return leader === undefined || leader < 0 ? undefined : leader;
}
