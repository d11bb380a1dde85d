import { FetchIsolationLevels } from "@platformatic/kafka";
import type { Consumer } from "@platformatic/kafka";
import { EddyError } from "@eddy/sdk";
import { PartitionFetcher } from "../io/kafka/partition-fetcher.js";
import type { FetchResponse } from "../io/kafka/partition-fetcher.js";
import type { FetchedPartition } from "../io/kafka/committed-records.js";
import { IDLE_POLL_MS, PARTITION_MAX_BYTES, partitionLeader, readResultOf } from "./log-reader.js";
import type { ReadResult } from "./log-reader.js";

interface QueuedRead {
  readonly topic: string;
  readonly topicId: string;
  readonly partition: number;
  readonly from: bigint;
  readonly node: number;
  readonly resolve: (result: ReadResult) => void;
  readonly reject: (error: Error) => void;
  /** Removes the read's abort listener once it settled. */
  done: () => void;
  settled: boolean;
}

/** How many Fetch requests one worker keeps in flight per broker at most (each on a connection of its own). */
const LANES = 2;

/**
 * The worker's reads of its log partitions and ingress source partitions,
 * gathered into one read_committed Fetch per broker instead of one long poll
 * per partition. The broker answers a multi-partition long poll as soon as
 * any of its partitions has something, and its cost is per request (an empty
 * long poll costs it about as much as one with data), so a worker with many
 * idle partitions asks it a few times per IDLE_POLL_MS rather than once per
 * partition.
 *
 * A read that arrives while every lane to its broker waits on a long poll
 * waits for the first of them to answer (at most IDLE_POLL_MS); a second lane
 * keeps a partition that has just been processed from always queueing behind
 * an idle poll of the others. A partition is in at most one request at a time
 * (two ingresses reading one source partition take turns). A partition-level
 * error in the answer fails only that partition's read.
 */
export class SharedFetch {
  readonly #lanes: PartitionFetcher[];
  /** `${lane}/${node}` of each lane with a request in flight to that broker. */
  readonly #busy = new Set<string>();
  #queued: QueuedRead[] = [];
  #scheduled = false;
  #closed = false;
  /** Where the next request starts in its list of partitions: the broker fills its answer in request order, up to maxBytes. */
  #turn = 0;

  /** `client` serves the metadata and API versions (its owner closes it); the lanes' connections are this object's own. */
  constructor(client: Consumer, clientId: string) {
    this.#lanes = Array.from({ length: LANES }, (_, i) => new PartitionFetcher(client, `${clientId}-${i}`));
  }

  /**
   * Reads `topic` partition `partition` from `from` on, with the worker's other reads to the same broker (see the
   * class). Rejects with the signal's reason once it aborts, and with a retryable EDDY_CLUSTER_FAILED while the
   * partition has no leader or its broker answers it with an error.
   */
  async read(topic: string, partition: number, from: bigint, signal: AbortSignal): Promise<ReadResult> {
    signal.throwIfAborted();
    if (this.#closed) throw closedError();
    const { node, topicId } = await partitionLeader(this.#lanes[0]!, topic, partition);
    signal.throwIfAborted();
    return new Promise<ReadResult>((resolve, reject) => {
      const onAbort = (): void => settle(read, () => reject(asError(signal.reason)));
      const read: QueuedRead = {
        topic,
        topicId,
        partition,
        from,
        node,
        resolve: (result) => settle(read, () => resolve(result)),
        reject: (error) => settle(read, () => reject(error)),
        done: () => signal.removeEventListener("abort", onAbort),
        settled: false,
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.#queued.push(read);
      this.#schedule();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const read of this.#queued) read.reject(closedError());
    this.#queued = [];
    await Promise.all(this.#lanes.map((lane) => lane.close()));
  }

  /** Sends on the next turn of the event loop, so the reads of every partition that just got its answer go together. */
  #schedule(): void {
    if (this.#scheduled || this.#closed) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#dispatch();
    });
  }

  #dispatch(): void {
    this.#queued = this.#queued.filter((r) => !r.settled);
    const nodes = new Set(this.#queued.map((r) => r.node));
    for (const node of nodes) {
      const lane = this.#lanes.findIndex((_, i) => !this.#busy.has(`${i}/${node}`));
      if (lane < 0) continue; // sent when a lane to this broker answers
      const taken: QueuedRead[] = [];
      const inRequest = new Set<string>();
      const left: QueuedRead[] = [];
      for (const read of this.#queued) {
        const key = `${read.topicId}/${read.partition}`;
        if (read.node === node && !inRequest.has(key)) {
          inRequest.add(key);
          taken.push(read);
        } else {
          left.push(read);
        }
      }
      this.#queued = left;
      void this.#send(lane, node, taken);
    }
  }

  async #send(lane: number, node: number, reads: QueuedRead[]): Promise<void> {
    const busy = `${lane}/${node}`;
    this.#busy.add(busy);
    const start = this.#turn++ % reads.length;
    const ordered = [...reads.slice(start), ...reads.slice(0, start)];
    const topics = new Map<string, { topicId: string; partitions: { partition: number; fetchOffset: bigint; currentLeaderEpoch: number; lastFetchedEpoch: number; partitionMaxBytes: number }[] }>();
    for (const r of ordered) {
      let t = topics.get(r.topicId);
      if (t === undefined) topics.set(r.topicId, (t = { topicId: r.topicId, partitions: [] }));
      t.partitions.push({ partition: r.partition, fetchOffset: r.from, currentLeaderEpoch: -1, lastFetchedEpoch: -1, partitionMaxBytes: PARTITION_MAX_BYTES });
    }
    try {
      const response = await this.#lanes[lane]!.fetch({ node, topics: [...topics.values()], maxWaitTime: IDLE_POLL_MS, isolationLevel: FetchIsolationLevels.READ_COMMITTED });
      answer(reads, response);
    } catch (error) {
      // The client throws for any partition-level error, with the whole answer beside it: the other partitions' reads stand.
      const response = (error as { response?: unknown }).response;
      if (isFetchResponse(response)) answer(reads, response);
      for (const r of reads) r.reject(asError(error));
    } finally {
      this.#busy.delete(busy);
      if (this.#queued.length > 0) this.#schedule();
    }
  }
}

/** Settles each read from its partition in the answer; a partition with an error code, or missing, fails its read alone. */
function answer(reads: readonly QueuedRead[], response: FetchResponse): void {
  const byKey = new Map<string, FetchedPartition>();
  for (const t of response.responses) for (const p of t.partitions) byKey.set(`${t.topicId}/${p.partitionIndex}`, p);
  for (const r of reads) {
    const p = byKey.get(`${r.topicId}/${r.partition}`);
    if (p === undefined) r.reject(new EddyError("EDDY_CLUSTER_FAILED", `the broker's answer holds no ${r.topic} partition ${r.partition}; reading it again`, { retryable: true }));
    else if (p.errorCode !== 0) r.reject(new EddyError("EDDY_CLUSTER_FAILED", `the broker answered a read of ${r.topic} partition ${r.partition} with Kafka error code ${p.errorCode}; reading it again`, { retryable: true }));
    else r.resolve(readResultOf(p, r.from, r.topicId));
  }
}

function settle(read: QueuedRead, then: () => void): void {
  if (read.settled) return;
  read.settled = true;
  read.done();
  then();
}

function isFetchResponse(value: unknown): value is FetchResponse {
  return typeof value === "object" && value !== null && Array.isArray((value as { responses?: unknown }).responses);
}

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}

function closedError(): EddyError {
  return new EddyError("EDDY_SHUTTING_DOWN", "the worker's log reads have stopped (the worker is stopping)");
}
