import { randomUUID } from "node:crypto";
import { Producer } from "@platformatic/kafka";
import type { Consumer, MessageToProduce } from "@platformatic/kafka";
import type { Logger } from "../log/logger.js";
import { closeQuietly, describeError, hasKafkaError, retryDelay } from "../io/kafka/kafka-common.js";
import { Backoff } from "../retry/backoff.js";
import { sleep } from "../retry/sleep.js";
import type { ClusterTopics } from "./cluster-topics.js";
import { workerTransactionalId } from "./cluster-topics.js";
import type { GroupGeneration, GroupOffsets } from "./group-offsets.js";

export type TransactionMessage = MessageToProduce<Buffer, Buffer, Buffer, Buffer>;

/** One partition's share of a worker transaction. */
export interface TransactionWork {
  readonly messages: TransactionMessage[];
  /** The log partition's watermark once this work is committed: committed as the partition's group offset. */
  readonly watermark: number;
}

/** A partition task as the worker's transactions see it. */
export interface TransactionParticipant {
  readonly partition: number;
  /** Takes the partition's work for the next transaction; undefined when it has none and its watermark did not move. */
  collect(): TransactionWork | undefined;
  /** The transaction carrying `work` committed. */
  committed(work: TransactionWork): void;
  /** The transaction carrying `work` failed and was aborted: the partition's uncommitted state must be dropped. */
  failed(work: TransactionWork, error: unknown, generation: GroupGeneration): void;
}

/** Errors with which the group coordinator refuses a transaction's offsets: the generation it acted in is gone. */
const GROUP_FENCING_ERRORS = ["ILLEGAL_GENERATION", "UNKNOWN_MEMBER_ID", "FENCED_INSTANCE_ID", "REBALANCE_IN_PROGRESS"];

/** True when the group coordinator refused the offsets of a transaction because its generation is gone. */
export function fencedByGroup(error: unknown): boolean {
  return GROUP_FENCING_ERRORS.some((id) => hasKafkaError(error, id));
}

/**
 * The worker's one transactional producer (`eddy.<cluster>.worker.<uuid>`,
 * Kafka Streams' EOS v2, KIP-447): each transaction carries the work of all
 * the worker's running partitions (changelog records, messages to any log
 * partition, Kafka egress records) and commits each partition's watermark as
 * its offset in the consumer group, with the generation in which Eddy was
 * given the partitions. One transaction at a time; everything the partitions
 * committed meanwhile goes into the next one.
 *
 * A failed transaction is aborted and every partition whose work it carried
 * is told (it closes and restores from Kafka); the producer is then
 * initialised again under the same transactional id, which makes the broker
 * finish the failed transaction before anything reads the partitions again.
 * The partitions of a failed transaction that carried several then commit
 * alone until one of their transactions commits, so a partition whose work
 * fails every time (a record the broker refuses) fails only itself again.
 */
export class WorkerTransactions {
  readonly transactionalId: string;
  readonly #topics: ClusterTopics;
  readonly #brokers: string[];
  readonly #timeoutMs: number;
  readonly #offsets: GroupOffsets;
  readonly #group: Consumer;
  readonly #log: Logger;
  readonly #participants = new Map<number, TransactionParticipant>();
  /** Partitions that commit in transactions of their own until one commits: they shared a transaction that failed. */
  readonly #alone = new Set<number>();
  readonly #abort = new AbortController();
  #producer: Producer<Buffer, Buffer, Buffer, Buffer> | undefined;
  /** Resolves once the producer is initialised after the last failure (the failed transaction is then finished). */
  #ready: Promise<void> = Promise.resolve();
  #generation: GroupGeneration | undefined;
  #wake: (() => void) | undefined;
  #pendingWake = false;
  #loop: Promise<void> | undefined;

  constructor(options: { topics: ClusterTopics; brokers: string[]; timeoutMs: number; offsets: GroupOffsets; group: Consumer; logger: Logger }) {
    this.#topics = options.topics;
    this.#brokers = options.brokers;
    this.#timeoutMs = options.timeoutMs;
    this.#offsets = options.offsets;
    this.#group = options.group;
    this.#log = options.logger;
    this.transactionalId = workerTransactionalId(options.topics.cluster, randomUUID());
  }

  /** Initialises the producer and starts committing. */
  async start(): Promise<void> {
    this.#ready = this.#initialise();
    await this.#ready;
    this.#loop = this.#commitLoop();
  }

  /** The generation in which Eddy holds its partitions now; transactions collected from now on commit in it. */
  set generation(generation: GroupGeneration) {
    this.#generation = generation;
  }

  /** Resolves once the producer is usable and no failed transaction of this worker is left unfinished. */
  ready(): Promise<void> {
    return this.#ready;
  }

  join(participant: TransactionParticipant): void {
    this.#participants.set(participant.partition, participant);
    this.wake();
  }

  /** The partition's work goes into no later transaction (one already under way may still carry it). */
  leave(participant: TransactionParticipant): void {
    if (this.#participants.get(participant.partition) === participant) this.#participants.delete(participant.partition);
  }

  wake(): void {
    if (this.#wake !== undefined) this.#wake();
    else this.#pendingWake = true;
  }

  /**
   * Aborts the open transaction of another worker's producer (a partition's previous owner that died or is cut off
   * with it open) by initialising its transactional id, which bumps its epoch: its later writes fail with
   * PRODUCER_FENCED. Safe whatever that worker is doing: a transaction is all or nothing, and one that carried a
   * partition this worker now owns could not commit its offsets in the generation that gave it here anyway.
   */
  async fence(transactionalId: string): Promise<void> {
    if (transactionalId === this.transactionalId || this.#abort.signal.aborted) return;
    const producer = this.#transactionalProducer("fence", transactionalId, false);
    try {
      const registering = await producer.beginTransaction();
      await registering.cancel();
    } finally {
      await closeQuietly(producer);
    }
  }

  async close(): Promise<void> {
    this.#abort.abort();
    this.wake();
    if (this.#producer !== undefined) await closeQuietly(this.#producer);
    await this.#loop;
  }

  /**
   * A producer for `transactionalId`. Its -1/-1 producer id and epoch ask the broker for the id's producer id and
   * bump its epoch, so an open transaction of the id's previous producer (a failed one, or another worker's) is
   * aborted first.
   */
  #transactionalProducer(role: string, transactionalId: string, autocreateTopics: boolean): Producer {
    return new Producer({
      clientId: `eddy-${this.#topics.cluster}-${role}`,
      bootstrapBrokers: this.#brokers,
      transactionalId,
      idempotent: true,
      producerId: -1n,
      producerEpoch: -1,
      acks: -1,
      timeout: this.#timeoutMs,
      retries: 5,
      retryDelay,
      ...(autocreateTopics ? { autocreateTopics: true } : {}),
    });
  }

  /** Creates the producer and registers it (InitProducerId), retrying with backoff while the broker refuses. */
  async #initialise(): Promise<void> {
    const backoff = new Backoff();
    for (;;) {
      if (this.#producer !== undefined) await closeQuietly(this.#producer);
      // Egress topics a module names are created on first use, as the embedded mode's Kafka egress does.
      this.#producer = this.#transactionalProducer("worker", this.transactionalId, true);
      try {
        const registering = await this.#producer.beginTransaction();
        await registering.cancel();
        return;
      } catch (error) {
        if (this.#abort.signal.aborted) return;
        const delay = backoff.next();
        this.#log.warn({ err: describeError(error), retryInMs: delay }, `the worker's transactional producer ${this.transactionalId} could not be initialised; retrying in ${delay} ms`);
        await sleep(delay, this.#abort.signal);
      }
    }
  }

  async #commitLoop(): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      await this.#ready;
      if (signal.aborted) break;
      const generation = this.#generation;
      // Collected in one synchronous step with the generation: a rebalance Eddy has seen cannot come between them.
      const batch: [TransactionParticipant, TransactionWork][] = [];
      if (generation !== undefined) {
        for (const p of this.#participants.values()) {
          if (!this.#alone.has(p.partition)) continue;
          const work = p.collect();
          if (work === undefined) continue;
          batch.push([p, work]);
          break;
        }
        if (batch.length === 0) {
          for (const p of this.#participants.values()) {
            if (this.#alone.has(p.partition)) continue;
            const work = p.collect();
            if (work !== undefined) batch.push([p, work]);
          }
        }
      }
      if (batch.length === 0) {
        if (!this.#pendingWake) await new Promise<void>((resolve) => (this.#wake = resolve));
        this.#wake = undefined;
        this.#pendingWake = false;
        continue;
      }
      try {
        await this.#commit(batch, generation!);
      } catch (error) {
        if (signal.aborted) {
          for (const [p, work] of batch) p.failed(work, error, generation!);
          break;
        }
        // Before the partitions hear of it: their reopening waits for this, so they read what the broker decided.
        this.#ready = this.#initialise();
        // Which of them made it fail is not known: each commits alone next, so only that one fails again. A refusal
        // for the generation is the worker's, not a partition's.
        if (batch.length > 1 && !fencedByGroup(error)) for (const [p] of batch) this.#alone.add(p.partition);
        for (const [p, work] of batch) p.failed(work, error, generation!);
        continue;
      }
      for (const [p, work] of batch) {
        this.#alone.delete(p.partition);
        p.committed(work);
      }
    }
  }

  async #commit(batch: readonly [TransactionParticipant, TransactionWork][], generation: GroupGeneration): Promise<void> {
    const producer = this.#producer!;
    const transaction = await producer.beginTransaction();
    try {
      const messages: TransactionMessage[] = [];
      const offsets = new Map<number, number>();
      for (const [p, work] of batch) {
        for (const m of work.messages) messages.push(m);
        offsets.set(p.partition, work.watermark);
      }
      if (messages.length > 0) await transaction.send({ messages });
      await transaction.addConsumer(this.#group);
      await this.#offsets.commitInTransaction(producer, generation, this.#topics.log, offsets);
      await transaction.commit();
    } catch (error) {
      if (!hasKafkaError(error, "PRODUCER_FENCED") && !hasKafkaError(error, "INVALID_PRODUCER_EPOCH")) await transaction.abort().catch(() => undefined);
      else await transaction.cancel().catch(() => undefined);
      throw error;
    }
  }
}
