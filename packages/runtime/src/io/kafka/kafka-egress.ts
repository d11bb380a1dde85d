import { Admin, Consumer, Producer } from "@platformatic/kafka";
import type { MessageToProduce } from "@platformatic/kafka";
import { decodeKafkaProducerRecord, KAFKA_PRODUCER_RECORD_TYPENAME } from "@eddy/protocol";
import type { TypedValue } from "@eddy/sdk";
import { kafkaTopicNameProblem } from "../../config/index.js";
import type { KafkaEgressSpec } from "../../config/index.js";
import type { Logger } from "../../log/logger.js";
import type { Egress, EgressCheck, EgressContext } from "../../model/egress.js";
import { bootstrapBrokers, closeQuietly, describeError, hasKafkaError, intProperty, retryDelay, warnUnsupported } from "./kafka-common.js";
import { producerRecordOf } from "./producer-record.js";
import { KafkaTopicDirectory } from "./topic-directory.js";
import { TransactionPipeline } from "./transaction-pipeline.js";
import { Backoff } from "../../retry/backoff.js";
import { sleep } from "../../retry/sleep.js";

/** One-partition topic whose committed offsets (one consumer group per egress) record how far each egress delivered. */
export const EGRESS_PROGRESS_TOPIC = "__eddy_egress_progress";

export function egressProgressGroup(egressId: string): string {
  return `eddy-egress-${egressId}`;
}

export interface KafkaEgressOptions {
  readonly spec: KafkaEgressSpec;
  readonly logger: Logger;
  /**
   * Ids of this egress's records that were in the durable store when the
   * runtime started (the ones it will hand over again). Only these may be
   * skipped as "already in Kafka": the store's ids can start lower again after
   * a restart with an empty outbox, so an id below the committed progress is
   * not by itself proof of delivery.
   */
  readonly recoveredIds?: () => ReadonlySet<number> | Promise<ReadonlySet<number>>;
  /** Largest number of records in one Kafka transaction or produce request. Default 2,000. */
  readonly maxBatch?: number;
}

interface Pending {
  readonly message: MessageToProduce<Buffer, Buffer, Buffer, Buffer>;
  readonly id: number;
}

const SUPPORTED_PROPERTIES = new Set([
  "bootstrap.servers",
  "client.id",
  "transactional.id",
  "acks",
  "request.timeout.ms",
  "compression.type",
  "enable.idempotence",
]);

/** A transaction timeout below this would abort our own (millisecond) transactions under load; above it, see transactionTimeoutMs. */
const MIN_TRANSACTION_TIMEOUT_MS = 5_000;
/**
 * The client sends its request timeout as InitProducerId's transaction
 * timeout (one option for both), so a 15 min transaction timeout would also
 * let one hung request wait 15 min. Our transactions last milliseconds and a
 * restarted Eddy fences its predecessor's open transaction at once, so the
 * configured timeout is capped here.
 */
const MAX_TRANSACTION_TIMEOUT_MS = 60_000;
/** A transaction begun ahead (TransactionPipeline) and still empty after this long is committed empty. */
const IDLE_TRANSACTION_MS = 1_000;
/** How often an egress with records set aside for a missing topic looks for the topic again. */
const SET_ASIDE_RECHECK_MS = 1_000;

/**
 * `io.statefun.kafka.v1/egress`. Accepts only KafkaProducerRecord values.
 *
 * - `exactly-once`: records go out in Kafka transactions (transactional.id
 *   `eddy-<egress id>`, stable across restarts so a restart fences the old
 *   producer and aborts its open transaction). Each transaction also commits
 *   the offset `highest outbox id + 1` of group `eddy-egress-<id>` on the
 *   one-partition topic `__eddy_egress_progress`, so "these records are in
 *   Kafka" and "delivered up to id N" become visible atomically. After a
 *   crash, records the store hands over again with an id below that offset
 *   are acknowledged without producing them: exactly once across crashes.
 * - `at-least-once`: idempotent producer, acknowledged after the broker acked.
 * - `none`: fire and forget; acknowledged at once, failures only logged.
 *
 * Records are acknowledged to the store (`context.acknowledge`) only once
 * they are safely in Kafka; while the broker is down the egress keeps them
 * queued, retries with backoff and logs each failure.
 */
export class KafkaEgress implements Egress {
  readonly id: string;
  readonly acknowledgesItself = true;
  readonly #spec: KafkaEgressSpec;
  readonly #logger: Logger;
  readonly #options: KafkaEgressOptions;
  readonly #maxBatch: number;
  #context: EgressContext | undefined;
  #producer: Producer<Buffer, Buffer, Buffer, Buffer> | undefined;
  /** With exactly-once: begins the producer's next transaction while records gather. */
  #transactions: TransactionPipeline | undefined;
  readonly #queue: Pending[] = [];
  #queueHead = 0;
  /**
   * At least once: records to topics that disappeared after their records were
   * accepted, set aside by topic so the others go on; back in the queue once
   * the topic exists again.
   */
  readonly #setAside = new Map<string, Pending[]>();
  #setAsideCount = 0;
  #setAsideCheckedAt = 0;
  #worker: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  readonly #abort = new AbortController();
  #stopping = false;
  /** Recovered records found already in Kafka at start; the runtime may still hand them over once. */
  readonly #alreadyInKafka = new Set<number>();
  #delivered = 0;
  #skipped = 0;
  readonly #topics: KafkaTopicDirectory;

  constructor(options: KafkaEgressOptions) {
    this.#options = options;
    this.#spec = options.spec;
    this.id = options.spec.id;
    this.#logger = options.logger.child({ egress: options.spec.id });
    this.#maxBatch = options.maxBatch ?? 2_000;
    this.#topics = new KafkaTopicDirectory({
      brokers: bootstrapBrokers(options.spec.address),
      clientId: `${options.spec.properties["client.id"] ?? `eddy-${options.spec.id}`}-topics`,
      logger: this.#logger,
    });
    warnUnsupported(options.spec.properties, SUPPORTED_PROPERTIES, this.#logger, {});
  }

  get semantic(): KafkaEgressSpec["deliverySemantic"]["type"] {
    return this.#spec.deliverySemantic.type;
  }

  /** Records taken and not yet in Kafka. */
  get pendingRecords(): number {
    return this.#queue.length - this.#queueHead + this.#setAsideCount;
  }

  /** Records produced to Kafka, and records skipped because an earlier run had already committed them. */
  get stats(): { delivered: number; skipped: number; queued: number } {
    return { delivered: this.#delivered, skipped: this.#skipped, queued: this.#queue.length - this.#queueHead };
  }

  check(record: TypedValue): EgressCheck {
    if (record.typename !== KAFKA_PRODUCER_RECORD_TYPENAME) {
      return `the Kafka egress ${this.id} takes only records of type ${KAFKA_PRODUCER_RECORD_TYPENAME} (use kafkaEgressMessage), not ${record.typename}`;
    }
    try {
      const decoded = decodeKafkaProducerRecord(record.value ?? new Uint8Array(0));
      const topicProblem = kafkaTopicNameProblem(decoded.topic);
      if (topicProblem !== undefined) return `the KafkaProducerRecord's topic is refused: ${topicProblem}`;
      const missing = this.#topics.problem(decoded.topic);
      if (missing !== undefined) return { retryLater: missing };
    } catch (error) {
      return `not a valid KafkaProducerRecord: ${error instanceof Error ? error.message : String(error)}`;
    }
    return undefined;
  }

  deliver(records: readonly TypedValue[], ids: readonly number[]): void {
    for (let i = 0; i < records.length; i++) {
      // Handed over again from the store, but start() found them already in Kafka and acknowledged them.
      if (this.#alreadyInKafka.delete(ids[i]!)) continue;
      const decoded = producerRecordOf(records[i]!);
      const message: MessageToProduce<Buffer, Buffer, Buffer, Buffer> = {
        topic: decoded.topic,
        value: decoded.value,
        ...(decoded.key === undefined ? {} : { key: decoded.key }),
      };
      this.#queue.push({ message, id: ids[i]! });
    }
    this.#wake?.();
  }

  /**
   * Reads which topics exist (when the broker does not create them), so that
   * `check()` can refuse records to missing ones from the first record on.
   * Resolves after the broker's first answer or failure; never throws.
   */
  prepareChecks(): Promise<void> {
    return this.#topics.load();
  }

  /** Closes what `check()` uses; `stop()` does it too. */
  closeChecks(): Promise<void> {
    return this.#topics.close();
  }

  async start(context: EgressContext): Promise<void> {
    this.#context = context;
    await this.prepareChecks();
    if (this.#spec.deliverySemantic.type === "exactly-once") {
      const recovered = (await this.#options.recoveredIds?.()) ?? new Set<number>();
      // This must finish before the runtime creates new records (it does so only after every egress started):
      // see #rebase. With the broker down, startup waits here and says so.
      const backoff = new Backoff();
      for (;;) {
        try {
          this.#connect();
          await this.#rebase(recovered);
          break;
        } catch (error) {
          await this.#closeProducer();
          if (this.#abort.signal.aborted) throw error;
          const delay = backoff.next();
          this.#logger.warn(
            { err: describeError(error), retryInMs: delay, attempt: backoff.attempts },
            "Kafka egress: cannot reach the broker to read its delivery progress; the runtime starts once it can",
          );
          await sleep(delay, this.#abort.signal);
        }
      }
    }
    this.#worker = this.#run().catch((error: unknown) => {
      this.#logger.error({ err: describeError(error) }, `Kafka egress ${this.id} stopped`);
    });
  }

  /** Delivers what is queued (bounded by `timeoutMs`), then closes the producer. */
  async stop(options: { timeoutMs?: number } = {}): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    const timeout = options.timeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#worker, new Promise((r) => (timer = setTimeout(r, timeout)))]);
    clearTimeout(timer);
    this.#abort.abort();
    this.#wake?.();
    await this.#worker;
    const left = this.pendingRecords;
    if (left > 0) this.#logger.warn({ records: left }, "stopped with records not yet in Kafka; they stay in the store and go out after the restart");
    await this.#closeProducer();
    await this.closeChecks();
  }

  describe(): string {
    const s = this.#spec.deliverySemantic;
    return `Kafka egress to ${this.#spec.address} (${s.type}${s.type === "exactly-once" ? `, transactional.id ${this.#transactionalId()}` : ""})`;
  }

  #transactionalId(): string {
    return this.#spec.properties["transactional.id"] ?? `eddy-${this.id}`;
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    const backoff = new Backoff();
    let ready = this.#producer !== undefined;
    while (!signal.aborted) {
      if (this.#stopping && this.#queue.length === this.#queueHead) return;
      try {
        if (!ready) {
          this.#connect();
          ready = true;
          if (backoff.attempts > 0) this.#logger.info("Kafka egress reconnected");
        }
        if (this.#setAside.size > 0 && Date.now() - this.#setAsideCheckedAt >= SET_ASIDE_RECHECK_MS) await this.#takeBackTopicsThatExist();
        const batch = this.#take();
        if (batch.length === 0) {
          await new Promise<void>((resolve) => {
            this.#wake = resolve;
            // Records set aside wait for their topic, which nothing announces: look again now and then.
            if (this.#setAside.size > 0) setTimeout(resolve, SET_ASIDE_RECHECK_MS).unref();
          });
          this.#wake = undefined;
          continue;
        }
        await this.#send(batch);
        this.#queueHead += batch.length;
        this.#compact();
        backoff.reset();
      } catch (error) {
        if (signal.aborted) return;
        const setAside = await this.#setAsideMissingTopics();
        // A broken or fenced producer cannot be reused (an aborted transaction leaves it mid-state).
        if (setAside) {
          await this.#closeProducer();
          ready = false;
          continue;
        }
        const delay = backoff.next();
        this.#logger.warn(
          { err: describeError(error), retryInMs: delay, attempt: backoff.attempts, records: this.#queue.length - this.#queueHead },
          "Kafka egress: delivery failed (broker down or restarting?); records stay queued and are retried",
        );
        // A broken or fenced producer cannot be reused (an aborted transaction leaves it mid-state).
        await this.#closeProducer();
        ready = false;
        await sleep(delay, signal);
      }
    }
  }

  /**
   * After a failed delivery: finds the topics of the queued records that the
   * broker does not have (deleted after their records were accepted, on a
   * broker that does not create topics) and says so. At least once, their
   * records are set aside so the others go on, and true is returned; exactly
   * once keeps the records in order (the progress offset says "everything
   * below is in Kafka"), so everything waits for the topic.
   */
  async #setAsideMissingTopics(): Promise<boolean> {
    const queued = this.#queue.slice(this.#queueHead);
    const missing = await this.#topics.missingOf(new Set(queued.map((p) => p.message.topic)));
    if (missing.size === 0) return false;
    const exactlyOnce = this.#spec.deliverySemantic.type === "exactly-once";
    for (const topic of missing) {
      const records = queued.filter((p) => p.message.topic === topic).length;
      this.#logger.warn(
        { topic, records },
        exactlyOnce
          ? `Kafka egress: topic "${topic}" does not exist (deleted after its records were accepted?) and the broker does not create topics: create it; exactly once keeps the records in order, so every record of this egress waits for it`
          : `Kafka egress: topic "${topic}" does not exist (deleted after its records were accepted?) and the broker does not create topics: create it; its ${records} records wait for it, the others go on`,
      );
    }
    if (exactlyOnce) return false;
    this.#setAsideCheckedAt = Date.now();
    const keep: Pending[] = [];
    for (const p of queued) {
      if (!missing.has(p.message.topic)) {
        keep.push(p);
        continue;
      }
      let list = this.#setAside.get(p.message.topic);
      if (list === undefined) this.#setAside.set(p.message.topic, (list = []));
      list.push(p);
      this.#setAsideCount++;
    }
    this.#queue.length = 0;
    this.#queue.push(...keep);
    this.#queueHead = 0;
    return true;
  }

  /** Puts the records set aside for topics that exist again back at the front of the queue, in their order. */
  async #takeBackTopicsThatExist(): Promise<void> {
    this.#setAsideCheckedAt = Date.now();
    const stillMissing = await this.#topics.missingOf(this.#setAside.keys());
    for (const [topic, records] of this.#setAside) {
      if (stillMissing.has(topic)) continue;
      this.#setAside.delete(topic);
      this.#setAsideCount -= records.length;
      this.#queue.splice(this.#queueHead, 0, ...records);
      this.#logger.info({ topic, records: records.length }, `Kafka egress: topic "${topic}" exists again; its records go out`);
    }
  }

  /** The next records to send, without removing them: they leave the queue only once in Kafka. */
  #take(): Pending[] {
    const end = Math.min(this.#queue.length, this.#queueHead + this.#maxBatch);
    return this.#queue.slice(this.#queueHead, end);
  }

  #compact(): void {
    if (this.#queueHead > 4096 && this.#queueHead * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#queueHead);
      this.#queueHead = 0;
    }
  }

  #connect(): void {
    const props = this.#spec.properties;
    const semantic = this.#spec.deliverySemantic;
    const brokers = bootstrapBrokers(this.#spec.address);
    const clientId = props["client.id"] ?? `eddy-${this.id}`;
    const requestTimeout = intProperty(props, "request.timeout.ms", this.#logger, {});
    if (semantic.type === "exactly-once") {
      const txTimeout = Math.min(Math.max(semantic.transactionTimeout, MIN_TRANSACTION_TIMEOUT_MS), MAX_TRANSACTION_TIMEOUT_MS);
      this.#producer = new Producer({
        clientId,
        bootstrapBrokers: brokers,
        transactionalId: this.#transactionalId(),
        idempotent: true,
        // -1/-1 asks the broker for the current producer id of this transactional.id; the client's default (0/0)
        // is refused with PRODUCER_FENCED once any earlier Eddy run has used the id.
        producerId: -1n,
        producerEpoch: -1,
        acks: -1,
        timeout: txTimeout,
        retries: 5,
        retryDelay,
        autocreateTopics: true,
      });
      this.#transactions = new TransactionPipeline(this.#producer, {
        offsetsGroup: egressProgressGroup(this.id),
        idleMs: IDLE_TRANSACTION_MS,
        onIdleFailure: (error) => this.#logger.warn({ err: describeError(error) }, "Kafka egress: ending an idle transaction failed; the next delivery reconnects"),
      });
      return;
    }
    const acks = props["acks"] === undefined ? (semantic.type === "none" ? 1 : -1) : props["acks"] === "all" ? -1 : Number(props["acks"]);
    this.#producer = new Producer({
      clientId,
      bootstrapBrokers: brokers,
      idempotent: semantic.type === "at-least-once" && acks === -1,
      ...(semantic.type === "at-least-once" && acks === -1 ? { producerId: -1n, producerEpoch: -1 } : {}),
      acks,
      retries: 5,
      retryDelay,
      autocreateTopics: true,
      ...(requestTimeout === undefined ? {} : { timeout: requestTimeout }),
    });
  }

  async #send(batch: readonly Pending[]): Promise<void> {
    const producer = this.#producer!;
    const messages = batch.map((p) => p.message);
    const ids = batch.map((p) => p.id);
    const semantic = this.#spec.deliverySemantic.type;
    if (semantic === "none") {
      // Fire and forget: the store forgets the records now, whatever happens to the request.
      this.#context?.acknowledge(ids);
      producer.send({ messages }).catch((error: unknown) => {
        this.#logger.warn({ err: describeError(error), records: messages.length }, "Kafka egress (delivery semantic none): records lost");
      });
      this.#delivered += messages.length;
      return;
    }
    if (semantic === "at-least-once") {
      await producer.send({ messages });
      this.#delivered += messages.length;
      this.#context?.acknowledge(ids);
      return;
    }
    const highest = ids.reduce((a, b) => (b > a ? b : a), 0);
    await this.#transaction(messages, highest + 1);
    this.#delivered += messages.length;
    this.#context?.acknowledge(ids);
  }

  /**
   * One Kafka transaction: the records, plus the progress group's offset set
   * to `progress` (every id below it that the store still holds is in Kafka).
   */
  async #transaction(messages: MessageToProduce<Buffer, Buffer, Buffer, Buffer>[], progress: number): Promise<void> {
    const transactions = this.#transactions!;
    const transaction = await transactions.take();
    try {
      const groupId = egressProgressGroup(this.id);
      // The records and the progress offset go out side by side: Produce to the topics' leaders,
      // TxnOffsetCommit to the group's coordinator.
      const [sent] = await Promise.all([
        messages.length > 0 ? transaction.send({ messages }) : undefined,
        this.#groupCoordinator().then((coordinatorId) =>
          transaction.addOffset({
            topic: EGRESS_PROGRESS_TOPIC,
            partition: 0,
            // The client commits `offset + 1`.
            offset: BigInt(progress - 1),
            key: Buffer.alloc(0),
            value: Buffer.alloc(0),
            headers: new Map(),
            timestamp: 0n,
            metadata: { consumer: { groupId, generationId: -1, memberId: "", coordinatorId } },
            commit: () => undefined,
          } as never),
        ),
      ]);
      await transaction.commit();
      transactions.committed([sent]);
    } catch (error) {
      transactions.drop();
      if (!hasKafkaError(error, "PRODUCER_FENCED")) await transaction.abort().catch(() => undefined);
      else await transaction.cancel().catch(() => undefined);
      throw error;
    }
  }

  /**
   * Runs once at start, before the runtime hands over the records it kept
   * and before it can create new ones.
   *
   * 1. The first transaction of this producer (InitProducerId) fences the
   *    previous run's producer and lets the broker finish its last
   *    transaction, so the progress offset read next is final.
   * 2. Records kept in the store (`recovered`) with an id below the progress
   *    P were committed to Kafka by the last run before it crashed: they are
   *    acknowledged now and dropped when handed over.
   * 3. The progress is reset to the lowest id still to deliver (0 when none).
   *    The store's ids can start lower again after a restart with an empty
   *    outbox, so a P left from an older run must never be compared with ids
   *    of records this run creates.
   */
  async #rebase(recovered: ReadonlySet<number>): Promise<void> {
    const brokers = bootstrapBrokers(this.#spec.address);
    const clientId = this.#spec.properties["client.id"] ?? `eddy-${this.id}`;
    await this.#ensureProgressTopic(brokers, clientId);
    const fence = await this.#producer!.beginTransaction();
    await fence.cancel();
    const progress = await this.#readFloor(brokers, clientId);
    const done: number[] = [];
    let lowestLeft = Number.POSITIVE_INFINITY;
    for (const id of recovered) {
      if (id < progress) done.push(id);
      else if (id < lowestLeft) lowestLeft = id;
    }
    await this.#transaction([], Number.isFinite(lowestLeft) ? lowestLeft : 0);
    for (const id of done) this.#alreadyInKafka.add(id);
    this.#skipped += done.length;
    if (done.length > 0) this.#context?.acknowledge(done);
    this.#logger.info(
      { progress, recovered: recovered.size, alreadyInKafka: done.length },
      done.length > 0
        ? `${done.length} records kept in the store were already committed to Kafka before the restart; they are not produced again`
        : "egress progress read from Kafka",
    );
  }

  #coordinator: number | undefined;

  async #groupCoordinator(): Promise<number> {
    if (this.#coordinator !== undefined) return this.#coordinator;
    const brokers = bootstrapBrokers(this.#spec.address);
    const consumer = new Consumer({ clientId: `eddy-${this.id}-progress`, groupId: egressProgressGroup(this.id), bootstrapBrokers: brokers, retries: 2, retryDelay });
    try {
      this.#coordinator = await consumer.findGroupCoordinator();
      return this.#coordinator;
    } finally {
      await closeQuietly(consumer);
    }
  }

  async #ensureProgressTopic(brokers: string[], clientId: string): Promise<void> {
    const admin = new Admin({ clientId, bootstrapBrokers: brokers, retries: 2, retryDelay });
    try {
      await admin.createTopics({ topics: [EGRESS_PROGRESS_TOPIC], partitions: 1, replicas: -1 });
      this.#logger.info({ topic: EGRESS_PROGRESS_TOPIC }, "created the egress progress topic");
    } catch (error) {
      if (!hasKafkaError(error, "TOPIC_ALREADY_EXISTS")) throw error;
    } finally {
      await admin.close().catch(() => undefined);
    }
  }

  /** The progress group's committed offset: every outbox id below it is already in Kafka. -1 when none. */
  async #readFloor(brokers: string[], clientId: string): Promise<number> {
    const consumer = new Consumer({ clientId: `${clientId}-progress`, groupId: egressProgressGroup(this.id), bootstrapBrokers: brokers, retries: 2, retryDelay });
    try {
      this.#coordinator = await consumer.findGroupCoordinator();
      const committed = await consumer.listCommittedOffsets({ topics: [{ topic: EGRESS_PROGRESS_TOPIC, partitions: [0] }] });
      const offset = committed.get(EGRESS_PROGRESS_TOPIC)?.[0] ?? -1n;
      return Number(offset);
    } finally {
      await closeQuietly(consumer);
    }
  }

  async #closeProducer(): Promise<void> {
    const producer = this.#producer;
    this.#producer = undefined;
    const transactions = this.#transactions;
    this.#transactions = undefined;
    await transactions?.close();
    if (producer !== undefined) await closeQuietly(producer);
  }
}
