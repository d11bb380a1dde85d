import { FetchIsolationLevels } from "@platformatic/kafka";
import { EddyError } from "@eddy/sdk";
import { committedRecords } from "../io/kafka/committed-records.js";
import type { FetchedPartition } from "../io/kafka/committed-records.js";
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
    const { node, topicId } = await partitionLeader(this.#fetcher, this.topic, this.partition);
    const response = await this.#fetcher.fetch({
      node,
      topics: [{ topicId, partitions: [{ partition: this.partition, fetchOffset: from, currentLeaderEpoch: -1, lastFetchedEpoch: -1, partitionMaxBytes: PARTITION_MAX_BYTES }] }],
      maxWaitTime: this.#maxWaitMs,
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
    });
    const p = response.responses[0]?.partitions[0];
    if (p === undefined) throw new EddyError("EDDY_CLUSTER_FAILED", `the broker's answer for ${this.topic} partition ${this.partition} holds no partition`, { retryable: true });
    return readResultOf(p, from, topicId);
  }
}

/** What one partition of a Fetch may return (the request's total is the fetcher's maxBytes). */
export const PARTITION_MAX_BYTES = 4_194_304;

/**
 * The broker that leads a topic partition (the cached metadata, refreshed once when it names none), and the topic's
 * id. A retryable EDDY_CLUSTER_FAILED while there is no leader: see LogReader.read.
 */
export async function partitionLeader(fetcher: PartitionFetcher, topic: string, partition: number): Promise<{ node: number; topicId: string }> {
  let metadata = await fetcher.metadata([topic]);
  if (leaderOf(metadata, topic, partition) === undefined) metadata = await fetcher.metadata([topic], true);
  const known = metadata.topics.get(topic);
  const node = leaderOf(metadata, topic, partition);
  if (known === undefined || node === undefined) {
    throw new EddyError("EDDY_CLUSTER_FAILED", `${topic} partition ${partition} has no leader in the cluster metadata yet; reading it again shortly`, { retryable: true });
  }
  return { node, topicId: known.id };
}

/** The committed records of one fetched partition read from `from`, and where to read next. */
export function readResultOf(p: FetchedPartition, from: bigint, topicId: string): ReadResult {
  const read = committedRecords(p, from, true);
  const records = read.records.map(({ offset, record }): CommittedRecord => {
    const headers = new Map<string, Buffer>();
    for (const [k, v] of record.headers as [Buffer, Buffer][]) headers.set(k.toString(), v);
    return { offset, key: record.key, value: record.value, headers };
  });
  return { records, next: read.next, lastStable: p.lastStableOffset, highWatermark: p.highWatermark, topicId };
}

function leaderOf(metadata: Awaited<ReturnType<PartitionFetcher["metadata"]>>, topic: string, partition: number): number | undefined {
  const leader = metadata.topics.get(topic)?.partitions[partition]?.leader;
  return leader === undefined || leader < 0 ? undefined : leader;
}
