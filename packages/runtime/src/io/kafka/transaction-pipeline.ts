import type { Consumer, MessageRecord, Producer, ProduceResult } from "@platformatic/kafka";

type Txn = Awaited<ReturnType<Producer<Buffer, Buffer, Buffer, Buffer>["beginTransaction"]>>;

export interface TransactionPipelineOptions {
  /** A consumer group whose offsets every transaction commits (AddOffsetsToTxn); none when undefined. */
  readonly offsetsGroup?: string;
  /**
   * How long a transaction begun ahead may wait for records before it is
   * committed empty. Far below the transaction timeout, after which the
   * broker would abort it and fence the producer.
   */
  readonly idleMs: number;
  /** Told when ending an idle transaction fails; the next take() rethrows it. */
  readonly onIdleFailure?: (error: unknown) => void;
}

/**
 * Begins a transactional producer's next transaction while the caller is
 * still gathering its records, so the requests that need no records are off
 * the path from "records ready" to "committed".
 *
 * A Kafka transaction costs, in order: AddPartitionsToTxn, AddOffsetsToTxn
 * (when offsets are committed with it), then Produce and TxnOffsetCommit,
 * then EndTxn, each a round trip to the broker; the first request after an
 * EndTxn also often waits for the broker to finish writing the previous
 * transaction's markers (CONCURRENT_TRANSACTIONS, retried). Right after each
 * commit, the pipeline begins the next transaction and adds to it the
 * partitions the last two wrote (a steady stream writes the same ones again)
 * and the offsets group. The caller's critical path is then Produce (with
 * TxnOffsetCommit beside it) and EndTxn; a record for a partition not added
 * ahead adds it as before.
 *
 * A partition added ahead that then gets no record only receives the
 * transaction's commit marker, which consumers skip; no data is written to
 * it. A transaction begun ahead that gets no records within `idleMs` is
 * committed empty, and the next one is begun only when asked for.
 *
 * One caller at a time: take() a transaction, fill and commit it, then
 * committed() with what its sends returned (or drop() after a failure).
 */
export class TransactionPipeline {
  readonly #producer: Producer<Buffer, Buffer, Buffer, Buffer>;
  readonly #options: TransactionPipelineOptions;
  #ahead: Promise<Txn> | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  /** An idle transaction being committed; the next begin waits for it (one transaction per producer). */
  #ending: Promise<void> | undefined;
  #endingError: Error | undefined;
  #closed = false;
  /** "topic NUL partition" of what the last committed transaction wrote. */
  #lastWrote = new Set<string>();

  constructor(producer: Producer<Buffer, Buffer, Buffer, Buffer>, options: TransactionPipelineOptions) {
    this.#producer = producer;
    this.#options = options;
  }

  /** The transaction to fill now: the one begun ahead, or a new one. */
  async take(): Promise<Txn> {
    clearTimeout(this.#idleTimer);
    const ahead = this.#ahead;
    this.#ahead = undefined;
    if (ahead !== undefined) return ahead;
    if (this.#ending !== undefined) await this.#ending;
    if (this.#endingError !== undefined) {
      const error = this.#endingError;
      this.#endingError = undefined;
      throw error;
    }
    return this.#begin([]);
  }

  /**
   * After a commit: begins the next transaction with the partitions that
   * this one and the one before both wrote. A partition added ahead and then
   * left without records still gets the transaction's marker, a write on the
   * broker: transactions that alternate between two sets of partitions (the
   * cluster's ingress and processing ones) would pay the markers of both sets
   * every time, so only what repeats is added ahead.
   */
  committed(results: readonly (ProduceResult | undefined)[]): void {
    if (this.#closed) return;
    const wrote = new Map<string, { topic: string; partition: number }>();
    for (const result of results) {
      for (const { topic, partition } of result?.offsets ?? []) wrote.set(`${topic}\u0000${partition}`, { topic, partition });
    }
    const partitions: MessageRecord[] = [];
    for (const [key, { topic, partition }] of wrote) {
      if (this.#lastWrote.has(key)) partitions.push({ topic, partition, key: undefined, value: undefined, headers: new Map(), timestamp: 0n } as unknown as MessageRecord);
    }
    this.#lastWrote = new Set(wrote.keys());
    // Beginning is client-side only: with nothing to add ahead there is nothing to gain (and an EndTxn of a
    // transaction the broker never heard of would be refused).
    if (partitions.length === 0 && this.#options.offsetsGroup === undefined) return;
    const ahead = this.#begin(partitions);
    // A failure here surfaces in take(), where the caller handles failed transactions.
    ahead.catch(() => undefined);
    this.#ahead = ahead;
    this.#idleTimer = setTimeout(() => this.#endIdle(), this.#options.idleMs);
    this.#idleTimer.unref();
  }

  /** After a failed transaction: nothing is begun ahead (the caller replaces the producer). */
  drop(): void {
    clearTimeout(this.#idleTimer);
    this.#ahead = undefined;
  }

  /** Aborts a transaction begun ahead and unused (best effort: a crash leaves it to the next InitProducerId). */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#idleTimer);
    const ahead = this.#ahead;
    this.#ahead = undefined;
    await this.#ending;
    if (ahead === undefined) return;
    const transaction = await ahead.catch(() => undefined);
    await transaction?.abort().catch(() => transaction.cancel().catch(() => undefined));
  }

  async #begin(partitions: MessageRecord[]): Promise<Txn> {
    const transaction = await this.#producer.beginTransaction();
    try {
      if (partitions.length > 0) {
        const metadata = await this.#producer.metadata({ topics: [...new Set(partitions.map((p) => p.topic))] });
        await transaction.addPartitions(metadata, partitions);
      }
      // addConsumer reads only the group id: the group needs no members to hold offsets.
      if (this.#options.offsetsGroup !== undefined) await transaction.addConsumer({ groupId: this.#options.offsetsGroup } as unknown as Consumer);
    } catch (error) {
      await transaction.abort().catch(() => transaction.cancel().catch(() => undefined));
      throw error;
    }
    return transaction;
  }

  #endIdle(): void {
    const ahead = this.#ahead;
    if (ahead === undefined || this.#closed) return;
    this.#ahead = undefined;
    this.#ending = ahead
      .then((transaction) => transaction.commit())
      .catch((error: unknown) => {
        this.#endingError = error instanceof Error ? error : new Error(String(error));
        this.#options.onIdleFailure?.(error);
      })
      .finally(() => {
        this.#ending = undefined;
      });
  }
}
