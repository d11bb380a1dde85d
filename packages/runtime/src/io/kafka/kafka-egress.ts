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

/** Suffix of the second transactional producer's transactional.id and progress group (exactly-once: see KafkaEgress). */
export const SECOND_PRODUCER_SUFFIX = "-b";

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

/** Exactly once: one of the two transactional producers, with its own progress group. */
interface Lane {
  readonly transactionalId: string;
  readonly group: string;
  producer: Producer<Buffer, Buffer, Buffer, Buffer> | undefined;
  /** Begins the producer's next transaction while records gather. */
  transactions: TransactionPipeline | undefined;
  /** The group's coordinator (broker id), found once. */
  coordinator: number | undefined;
}

/** Exactly once: a transaction sent and not yet known committed. */
interface InFlight {
  readonly batch: readonly Pending[];
  readonly done: Promise<void>;
  settled: boolean;
  /** Resolves once its records and offset are acknowledged by the broker; rejects when it failed before. */
  readonly produced: Promise<void>;
  readonly startedAt: number;
  readonly timing: Timing;
}

/** Between #runTransactions and #transaction. */
interface Timing {
  /** Filled in by #transaction: how long it took without its waits for the transaction before. */
  ownMs: number;
  /** Called by #transaction once its records and offset are acknowledged. */
  readonly markProduced: () => void;
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
 * - `exactly-once`: records go out in Kafka transactions of two
 *   transactional producers used in turn, `eddy-<egress id>` and
 *   `eddy-<egress id>-b` (`<transactional.id>` and `<transactional.id>-b`
 *   when the property is set), stable across restarts so a restart fences
 *   the old producers and aborts their open transactions. Each transaction
 *   also commits the offset `highest outbox id + 1` of its own producer's
 *   progress group (`eddy-egress-<id>`, `eddy-egress-<id>-b`) on the
 *   one-partition topic `__eddy_egress_progress`, so "these records are in
 *   Kafka" and "delivered up to id N" become visible atomically.
 *   Transactions are pipelined: transaction k+1 (the next records of the
 *   queue, on the other producer) begins and sends its offset while k is
 *   still in flight, sends its records once k's are acknowledged (so they
 *   follow k's on every partition), and sends its EndTxn(commit) only once
 *   k's commit succeeded; when k fails, k+1 is aborted and both are retried
 *   in order. The committed transactions are therefore always a prefix of the
 *   queue, and every id below the larger of the two groups' offsets is in
 *   Kafka. After a crash, records the store hands over again with an id below
 *   it are acknowledged without producing them: exactly once across crashes.
 *   Records are acknowledged to the store only after their own transaction
 *   committed, in order.
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
  /** At least once and none: the one producer. */
  #producer: Producer<Buffer, Buffer, Buffer, Buffer> | undefined;
  /** Exactly once: the two transactional producers, used in turn. */
  readonly #lanes: readonly [Lane, Lane];
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
  /** Exactly once: a moving average of how long a transaction takes (without waiting for the one before). */
  #transactionMs = 0;
  #skipped = 0;
  readonly #topics: KafkaTopicDirectory;

  constructor(options: KafkaEgressOptions) {
    this.#options = options;
    this.#spec = options.spec;
    this.id = options.spec.id;
    this.#logger = options.logger.child({ egress: options.spec.id });
    this.#maxBatch = options.maxBatch ?? 2_000;
    const transactionalId = options.spec.properties["transactional.id"] ?? `eddy-${options.spec.id}`;
    const lane = (transactionalId: string, group: string): Lane => ({ transactionalId, group, producer: undefined, transactions: undefined, coordinator: undefined });
    this.#lanes = [
      lane(transactionalId, egressProgressGroup(options.spec.id)),
      lane(`${transactionalId}${SECOND_PRODUCER_SUFFIX}`, `${egressProgressGroup(options.spec.id)}${SECOND_PRODUCER_SUFFIX}`),
    ];
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
    this.#worker = (this.#spec.deliverySemantic.type === "exactly-once" ? this.#runTransactions() : this.#run()).catch((error: unknown) => {
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
    return `Kafka egress to ${this.#spec.address} (${s.type}${s.type === "exactly-once" ? `, transactional.ids ${this.#lanes[0].transactionalId} and ${this.#lanes[1].transactionalId}` : ""})`;
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
        await this.#retryLater(error, backoff, signal);
        ready = false;
      }
    }
  }

  /** After a failed delivery: says so, drops the producers (a broken or fenced one cannot be reused: an aborted transaction leaves it mid-state) and waits out the backoff. */
  async #retryLater(error: unknown, backoff: Backoff, signal: AbortSignal): Promise<void> {
    const delay = backoff.next();
    this.#logger.warn(
      { err: describeError(error), retryInMs: delay, attempt: backoff.attempts, records: this.#queue.length - this.#queueHead },
      "Kafka egress: delivery failed (broker down or restarting?); records stay queued and are retried",
    );
    await this.#closeProducer();
    await sleep(delay, signal);
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
      for (const [i, lane] of this.#lanes.entries()) {
        lane.producer = new Producer({
          clientId: i === 0 ? clientId : `${clientId}${SECOND_PRODUCER_SUFFIX}`,
          bootstrapBrokers: brokers,
          transactionalId: lane.transactionalId,
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
        lane.transactions = new TransactionPipeline(lane.producer, {
          offsetsGroup: lane.group,
          idleMs: IDLE_TRANSACTION_MS,
          onIdleFailure: (error) => this.#logger.warn({ err: describeError(error) }, "Kafka egress: ending an idle transaction failed; the next delivery reconnects"),
        });
      }
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
    // Exactly once goes through #runTransactions.
    throw new Error(`Kafka egress ${this.id}: #send is for at-least-once and none`);
  }

  /**
   * Exactly once: the delivery loop. Up to two transactions are in flight,
   * one on each producer (lanes alternate): while transaction k runs, k+1
   * takes the next records of the queue, half a transaction after k began;
   * its records wait for k's to be acknowledged, its EndTxn(commit) for k's
   * commit (#transaction).
   * Records leave the queue and are acknowledged when their own transaction
   * committed, oldest first. A failure of either fails the one after it too
   * (aborted, never committed); then both producers are replaced, the
   * progress is read again (#resume: a commit whose answer was lost may
   * have gone through) and everything not known to be in Kafka is sent
   * again, in order.
   */
  async #runTransactions(): Promise<void> {
    const signal = this.#abort.signal;
    const backoff = new Backoff();
    let ready = this.#lanes[0].producer !== undefined;
    const inFlight: InFlight[] = [];
    /** Lane of the next transaction. */
    let next = 0;
    /** Records of the queue (from #queueHead) that a transaction in flight carries. */
    let carried = 0;
    while (!signal.aborted) {
      if (this.#stopping && this.#queue.length === this.#queueHead) return;
      try {
        if (!ready) {
          this.#connect();
          await this.#resume();
          ready = true;
          next = 0;
          if (backoff.attempts > 0) this.#logger.info("Kafka egress reconnected");
        }
        const oldest = inFlight[0];
        if (oldest?.settled === true) {
          inFlight.shift();
          carried -= oldest.batch.length;
          await oldest.done; // throws when it failed
          this.#queueHead += oldest.batch.length;
          this.#compact();
          this.#delivered += oldest.batch.length;
          this.#context?.acknowledge(oldest.batch.map((p) => p.id));
          this.#transactionMs = this.#transactionMs === 0 ? oldest.timing.ownMs : 0.8 * this.#transactionMs + 0.2 * oldest.timing.ownMs;
          backoff.reset();
          continue;
        }
        const from = this.#queueHead + carried;
        // The second transaction starts half a transaction after the first: started at once, it would carry only
        // the few records that came meanwhile, and the two would commit back to back, leaving the records behind
        // them to wait as long as with one transaction in flight. Half-way, commits come twice as often.
        const due = inFlight.length === 1 ? inFlight[0]!.startedAt + this.#transactionMs / 2 : 0;
        const now = Date.now();
        if (inFlight.length < 2 && from < this.#queue.length && now >= due) {
          const batch = this.#queue.slice(from, Math.min(this.#queue.length, from + this.#maxBatch));
          carried += batch.length;
          const highest = batch.reduce((a, p) => (p.id > a ? p.id : a), 0);
          const lane = this.#lanes[next]!;
          next = 1 - next;
          let markProduced!: (error?: Error) => void;
          const produced = new Promise<void>((resolve, reject) => (markProduced = (error) => (error === undefined ? resolve() : reject(error))));
          produced.catch(() => undefined);
          const timing: Timing = { ownMs: 0, markProduced: () => markProduced() };
          const previous = inFlight.at(-1);
          const done = this.#transaction(
            lane,
            batch.map((p) => p.message),
            highest + 1,
            previous === undefined ? undefined : { produced: previous.produced, committed: previous.done },
            timing,
          );
          // A transaction that fails before its records are in tells the one after it not to send its own.
          done.catch((error: unknown) => markProduced(error instanceof Error ? error : new Error("the transaction failed", { cause: error })));
          const entry: InFlight = { batch, done, settled: false, produced, startedAt: now, timing };
          const settle = () => {
            entry.settled = true;
            this.#wake?.();
          };
          entry.done.then(settle, settle);
          inFlight.push(entry);
          continue;
        }
        // Woken by new records (deliver), a transaction settling, stop(), or the second transaction's time.
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
          if (inFlight.length === 1 && from < this.#queue.length) timer = setTimeout(resolve, due - now);
        });
        clearTimeout(timer);
        this.#wake = undefined;
      } catch (error) {
        // The transaction after a failed one fails too (aborted): wait for both before replacing the producers.
        await Promise.allSettled(inFlight.map((t) => t.done));
        inFlight.length = 0;
        carried = 0;
        if (signal.aborted) return;
        await this.#setAsideMissingTopics();
        await this.#retryLater(error, backoff, signal);
        ready = false;
      }
    }
  }

  /**
   * One Kafka transaction on `lane`'s producer: the records, plus its
   * progress group's offset set to `progress` (every id below it that the
   * store still holds is in Kafka). With `previous` (the transaction before,
   * on the other producer): the transaction is begun and its offset sent at
   * once, its records once `previous`'s records are acknowledged, and
   * EndTxn(commit) only after `previous` committed; when `previous` fails,
   * this one is aborted and fails too. So a transaction never commits before
   * the ones before it, and a crash between the two commits leaves the later
   * one aborted (its records are sent again after the restart).
   *
   * A read_committed consumer cannot see this transaction's records before
   * `previous`'s: on every partition they come after `previous`'s in the log
   * (they are sent only once the broker has appended `previous`'s; sent side
   * by side, the later transaction's Produce could arrive first, and a
   * consumer would read its records first although they commit second), and
   * the last stable offset, up to which such a consumer reads, stays before
   * `previous`'s records until its commit marker is written. Across
   * partitions Kafka orders nothing for a consumer.
   */
  async #transaction(
    lane: Lane,
    messages: MessageToProduce<Buffer, Buffer, Buffer, Buffer>[],
    progress: number,
    previous?: { readonly produced: Promise<void>; readonly committed: Promise<void> },
    timing?: Timing,
  ): Promise<void> {
    const started = Date.now();
    const transactions = lane.transactions!;
    const transaction = await transactions.take();
    let previousFailed = false;
    const after = async (step: Promise<void>): Promise<number> => {
      const from = Date.now();
      await step.catch((error: unknown) => {
        previousFailed = true;
        throw error;
      });
      return Date.now() - from;
    };
    try {
      let waitedMs = 0;
      // The records and the progress offset go out side by side: Produce to the topics' leaders,
      // TxnOffsetCommit to the group's coordinator.
      const results = await Promise.allSettled([
        messages.length === 0
          ? undefined
          : (async () => {
              if (previous !== undefined) waitedMs = await after(previous.produced);
              return transaction.send({ messages });
            })(),
        this.#groupCoordinator(lane).then((coordinatorId) =>
          transaction.addOffset({
            topic: EGRESS_PROGRESS_TOPIC,
            partition: 0,
            // The client commits `offset + 1`.
            offset: BigInt(progress - 1),
            key: Buffer.alloc(0),
            value: Buffer.alloc(0),
            headers: new Map(),
            timestamp: 0n,
            metadata: { consumer: { groupId: lane.group, generationId: -1, memberId: "", coordinatorId } },
            commit: () => undefined,
          } as never),
        ),
      ]);
      for (const result of results) if (result.status === "rejected") throw result.reason;
      const sent = (results[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof transaction.send>> | undefined>).value;
      const producedAt = Date.now();
      timing?.markProduced();
      // Only after the transaction before committed (it throws when that one failed: then this one aborts).
      if (previous !== undefined) await after(previous.committed);
      const ending = Date.now();
      await transaction.commit();
      if (timing !== undefined) timing.ownMs = producedAt - started - waitedMs + (Date.now() - ending);
      transactions.committed([sent]);
    } catch (error) {
      transactions.drop();
      // A fenced producer cannot abort; the next InitProducerId of its transactional.id does.
      if (previousFailed || !hasKafkaError(error, "PRODUCER_FENCED")) await transaction.abort().catch(() => undefined);
      else await transaction.cancel().catch(() => undefined);
      throw error;
    }
  }

  /**
   * Runs once at start, before the runtime hands over the records it kept
   * and before it can create new ones.
   *
   * 1. The first transaction of each producer (InitProducerId) fences the
   *    previous run's producer of that transactional.id and lets the broker
   *    finish its last transaction (an open one is aborted), so the progress
   *    offsets read next are final. Both are fenced before either is read.
   * 2. The floor P is the larger of the two groups' offsets: the transaction
   *    that set it committed only after every transaction before it, so
   *    every id below P is in Kafka. Records kept in the store (`recovered`)
   *    with an id below P were committed by the last run before it crashed:
   *    they are acknowledged now and dropped when handed over.
   * 3. Both groups are reset to the lowest id still to deliver (0 when none).
   *    The store's ids can start lower again after a restart with an empty
   *    outbox, so a P left from an older run must never be compared with ids
   *    of records this run creates. A crash between the two resets is redone
   *    at the next start, before any new id exists.
   */
  async #rebase(recovered: ReadonlySet<number>): Promise<void> {
    const brokers = bootstrapBrokers(this.#spec.address);
    const clientId = this.#spec.properties["client.id"] ?? `eddy-${this.id}`;
    await this.#ensureProgressTopic(brokers, clientId);
    const progress = await this.#fenceAndReadFloor();
    const done: number[] = [];
    let lowestLeft = Number.POSITIVE_INFINITY;
    for (const id of recovered) {
      if (id < progress) done.push(id);
      else if (id < lowestLeft) lowestLeft = id;
    }
    const reset = Number.isFinite(lowestLeft) ? lowestLeft : 0;
    await Promise.all(this.#lanes.map((lane) => this.#transaction(lane, [], reset)));
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

  /**
   * After a failed delivery, with new producers: fences both transactional
   * ids and reads the floor again, as at start. A transaction whose commit
   * went through although its answer was lost (a dropped connection, a
   * timeout) has moved its group's offset: its records, still queued, are
   * acknowledged instead of being produced twice. Within one run the ids of
   * the queue are all at or above the offsets #rebase reset, so the
   * comparison is sound.
   */
  async #resume(): Promise<void> {
    const floor = await this.#fenceAndReadFloor();
    const done: number[] = [];
    const keep: Pending[] = [];
    for (let i = this.#queueHead; i < this.#queue.length; i++) {
      const p = this.#queue[i]!;
      if (p.id < floor) done.push(p.id);
      else keep.push(p);
    }
    if (done.length === 0) return;
    this.#queue.length = 0;
    this.#queue.push(...keep);
    this.#queueHead = 0;
    this.#delivered += done.length;
    this.#context?.acknowledge(done);
    this.#logger.info({ progress: floor, records: done.length }, `${done.length} queued records were committed to Kafka by a transaction whose answer was lost; they are not produced again`);
  }

  /** Fences both transactional ids (InitProducerId, which ends their open transactions), then reads both groups: the larger offset. */
  async #fenceAndReadFloor(): Promise<number> {
    await Promise.all(
      this.#lanes.map(async (lane) => {
        const fence = await lane.producer!.beginTransaction();
        await fence.cancel();
      }),
    );
    const offsets = await Promise.all(this.#lanes.map((lane) => this.#readProgress(lane)));
    return Math.max(...offsets);
  }

  async #groupCoordinator(lane: Lane): Promise<number> {
    if (lane.coordinator !== undefined) return lane.coordinator;
    const brokers = bootstrapBrokers(this.#spec.address);
    const consumer = new Consumer({ clientId: `eddy-${this.id}-progress`, groupId: lane.group, bootstrapBrokers: brokers, retries: 2, retryDelay });
    try {
      lane.coordinator = await consumer.findGroupCoordinator();
      return lane.coordinator;
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

  /** The lane's progress group's committed offset: every outbox id below it is already in Kafka (see #rebase). -1 when none. */
  async #readProgress(lane: Lane): Promise<number> {
    const clientId = this.#spec.properties["client.id"] ?? `eddy-${this.id}`;
    const consumer = new Consumer({ clientId: `${clientId}-progress`, groupId: lane.group, bootstrapBrokers: bootstrapBrokers(this.#spec.address), retries: 2, retryDelay });
    try {
      lane.coordinator = await consumer.findGroupCoordinator();
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
    if (producer !== undefined) await closeQuietly(producer);
    await Promise.all(
      this.#lanes.map(async (lane) => {
        const { producer, transactions } = lane;
        lane.producer = undefined;
        lane.transactions = undefined;
        await transactions?.close();
        if (producer !== undefined) await closeQuietly(producer);
      }),
    );
  }
}
