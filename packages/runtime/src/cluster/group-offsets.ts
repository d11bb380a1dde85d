import { ConnectionPool, offsetFetchV8, offsetFetchV9, txnOffsetCommitV3, txnOffsetCommitV4 } from "@platformatic/kafka";
import type { Connection, Consumer, Producer } from "@platformatic/kafka";
import { EddyError } from "@eddy/sdk";
import { hasKafkaError } from "../io/kafka/kafka-common.js";
import { Backoff } from "../retry/backoff.js";
import { sleep } from "../retry/sleep.js";

/** The group membership a transaction acts in: the generation in which Eddy was given the partitions it carries. */
export interface GroupGeneration {
  readonly generation: number;
  readonly memberId: string;
}

type TxnOffsetCommitApi = typeof txnOffsetCommitV4.api | typeof txnOffsetCommitV3.api;
type OffsetFetchApi = typeof offsetFetchV9.api | typeof offsetFetchV8.api;

/**
 * The worker's offsets in its consumer group (`eddy.<cluster>`), sent through
 * the client's protocol API on connections of their own:
 *
 * - `commitInTransaction`: one TxnOffsetCommit for every partition a
 *   transaction carries, with the generation and member id Eddy recorded when
 *   it was given them (not the client's current ones, which move on at
 *   SyncGroup before Eddy has stopped a partition that moved away). The group
 *   coordinator refuses it (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID) once the
 *   group has moved to another generation, and the transaction is then
 *   aborted: that is the zombie fencing (KIP-447). The client's
 *   `Transaction.addOffset` sends one request per partition and merges
 *   concurrent ones into the first, so it is not used.
 * - `stable`: OffsetFetch with require_stable, retried while a transaction
 *   with pending offsets for the partition is open (UNSTABLE_OFFSET_COMMIT),
 *   so a new owner starts from what the previous owner's last transaction
 *   decided.
 *
 * Each committed offset's metadata is the transactional id of the worker that
 * committed it (`lastCommitter`): a new owner waiting on an open transaction
 * of the partition's previous owner (a worker that died with it open) aborts
 * it by initialising that id, instead of waiting out its timeout.
 */
export class GroupOffsets {
  readonly groupId: string;
  readonly #membership: Consumer;
  readonly #pool: ConnectionPool;
  #commitApi: Promise<TxnOffsetCommitApi> | undefined;
  #fetchApi: Promise<OffsetFetchApi> | undefined;

  constructor(membership: Consumer, groupId: string, clientId: string) {
    this.#membership = membership;
    this.groupId = groupId;
    this.#pool = new ConnectionPool(clientId, {});
  }

  /** Commits `offsets` (partition → next offset to read) of `topic` in the producer's open transaction (after AddOffsetsToTxn). */
  async commitInTransaction(producer: Producer<Buffer, Buffer, Buffer, Buffer>, member: GroupGeneration, topic: string, offsets: ReadonlyMap<number, number>): Promise<void> {
    const transactionalId = producer.transaction?.id;
    const producerId = producer.producerId;
    const producerEpoch = producer.producerEpoch;
    if (transactionalId === undefined || producerId === undefined || producerEpoch === undefined) {
      throw new EddyError("EDDY_CLUSTER_FAILED", "the worker's transactional producer has no open transaction to commit the group offsets in", { retryable: true });
    }
    const api = await this.#txnOffsetCommitApi();
    const connection = await this.#coordinator();
    const partitions = [...offsets].map(([partitionIndex, offset]) => ({ partitionIndex, committedOffset: BigInt(offset), committedLeaderEpoch: -1, committedMetadata: transactionalId }));
    await api.async(connection, transactionalId, this.groupId, producerId, producerEpoch, member.generation, member.memberId, null, [{ name: topic, partitions }]);
  }

  /**
   * The committed offset of a partition once no open transaction has pending offsets for it (-1 when none was
   * committed), waiting with backoff while one has (UNSTABLE_OFFSET_COMMIT).
   */
  async stable(topic: string, partition: number, signal: AbortSignal, onWaiting: (waitedMs: number) => Promise<void>): Promise<number> {
    const backoff = new Backoff({ initialMs: 20, maxMs: 500 });
    const since = performance.now();
    for (;;) {
      try {
        return (await this.#fetch(topic, partition, true)).offset;
      } catch (error) {
        if (signal.aborted || !hasKafkaError(error, "UNSTABLE_OFFSET_COMMIT")) throw error;
        await onWaiting(performance.now() - since);
        await sleep(backoff.next(), signal);
      }
    }
  }

  /** The transactional id of the worker whose transaction last committed the partition's offset (undefined when none did). */
  async lastCommitter(topic: string, partition: number): Promise<string | undefined> {
    const metadata = (await this.#fetch(topic, partition, false)).metadata;
    return metadata === null || metadata === "" ? undefined : metadata;
  }

  async #fetch(topic: string, partition: number, requireStable: boolean): Promise<{ offset: number; metadata: string | null }> {
    const api = await this.#offsetFetchApi();
    const connection = await this.#coordinator();
    const response = await api.async(connection, [{ groupId: this.groupId, memberId: null, memberEpoch: -1, topics: [{ name: topic, partitionIndexes: [partition] }] }], requireStable);
    const found = response.groups[0]?.topics[0]?.partitions.find((p) => p.partitionIndex === partition);
    return found === undefined ? { offset: -1, metadata: null } : { offset: Number(found.committedOffset), metadata: found.metadata ?? null };
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#pool.close(() => resolve()));
  }

  /** A connection to the group's coordinator, the broker the membership consumer found for the group. */
  async #coordinator(): Promise<Connection> {
    const node = this.#membership.coordinatorId;
    const metadata = await this.#membership.metadata({ topics: [] });
    const broker = node === null || node === undefined ? undefined : metadata.brokers.get(node);
    if (broker === undefined) throw new EddyError("EDDY_CLUSTER_FAILED", `the coordinator of consumer group ${this.groupId} is not known yet`, { retryable: true });
    return new Promise<Connection>((resolve, reject) => {
      this.#pool.get(broker, (error, c) => (error === null || error === undefined ? resolve(c!) : reject(error)));
    });
  }

  #txnOffsetCommitApi(): Promise<TxnOffsetCommitApi> {
    this.#commitApi ??= this.#choose("TxnOffsetCommit", [txnOffsetCommitV4.api, txnOffsetCommitV3.api], "3-4 (Kafka 2.5 or newer)").catch((error: unknown) => {
      this.#commitApi = undefined;
      throw error;
    });
    return this.#commitApi;
  }

  #offsetFetchApi(): Promise<OffsetFetchApi> {
    this.#fetchApi ??= this.#choose("OffsetFetch", [offsetFetchV9.api, offsetFetchV8.api], "8-9 (Kafka 3.0 or newer)").catch((error: unknown) => {
      this.#fetchApi = undefined;
      throw error;
    });
    return this.#fetchApi;
  }

  async #choose<T extends { version: number }>(name: string, candidates: T[], needed: string): Promise<T> {
    const apis = await this.#membership.listApis();
    const served = apis.find((a) => a.name === name);
    const chosen = candidates.find((c) => served !== undefined && c.version >= served.minVersion && c.version <= served.maxVersion);
    if (chosen === undefined) throw new EddyError("EDDY_CLUSTER_FAILED", `the broker serves ${name} versions ${served?.minVersion ?? "?"}-${served?.maxVersion ?? "?"}; Eddy needs ${needed}`);
    return chosen;
  }
}
