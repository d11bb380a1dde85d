import { Consumer, Producer } from "@platformatic/kafka";
import type { MessageToProduce } from "@platformatic/kafka";
import { EddyError, isEddyError } from "@eddy/sdk";
import type { Logger } from "../log/logger.js";
import type { Envelope } from "../model/envelope.js";
import { partitionOf } from "../runtime/partitioner.js";
import type { PartitionContext } from "../runtime/partition-context.js";
import type { PlacementHost } from "../runtime/partition-placement.js";
import type { DelayedMessage } from "../model/commit-unit.js";
import type { SpecRegistry } from "../store/spec-registry.js";
import { closeQuietly, describeError, hasKafkaError, retryDelay } from "../io/kafka/kafka-common.js";
import type { ClusterTopics } from "./cluster-topics.js";
import { partitionTransactionalId } from "./cluster-topics.js";
import { decodeLogMessage, encodeLogMessage, WATERMARK_KEY } from "./cluster-records.js";
import type { IngressSource } from "./ingress-source.js";
import { KafkaPartitionStore } from "./kafka-partition-store.js";
import { LogReader } from "./log-reader.js";
import { PartitionFetcher } from "../io/kafka/partition-fetcher.js";
import { Backoff } from "../retry/backoff.js";
import { sleep } from "../retry/sleep.js";

export interface PartitionTaskOptions {
  readonly partition: number;
  readonly topics: ClusterTopics;
  readonly brokers: string[];
  readonly specs: SpecRegistry;
  readonly kafkaEgresses: ReadonlySet<string>;
  readonly ingressSources: readonly IngressSource[];
  readonly host: PlacementHost;
  readonly logger: Logger;
  readonly transactionTimeoutMs: number;
  /** Called once when the task stopped on its own (a failed transaction, a fenced producer). */
  readonly onFailed: (task: PartitionTask, error: unknown, fenced: boolean) => void;
}

type Message = MessageToProduce<Buffer, Buffer, Buffer, Buffer>;

/**
 * One log partition while this worker owns it (Kafka Streams calls it a task).
 *
 * 1. Fence: its transactional producer (`eddy.<cluster>.p<N>`) registers with
 *    the broker, which bumps the producer epoch, aborts any transaction the
 *    previous owner left open and refuses that owner's later writes.
 * 2. Restore: reads its changelog partition to the end (read_committed):
 *    state, last consumed offset per address, timers, watermark, ingress
 *    positions.
 * 3. Run: reads the log from the watermark, skips messages whose effects an
 *    address's state already includes, hands the rest to the processor, and
 *    commits what the processor committed as one transaction at a time:
 *    changelog records, produced messages, fired timers, Kafka egress records,
 *    the new watermark and ingress positions. The next transaction starts when
 *    the previous one ended, so everything committed meanwhile goes together.
 */
export class PartitionTask {
  readonly partition: number;
  readonly #o: PartitionTaskOptions;
  readonly #store: KafkaPartitionStore;
  readonly #log: Logger;
  #producer: Producer<Buffer, Buffer, Buffer, Buffer> | undefined;
  /** Fetches this partition's log and changelog on its own connections, so partitions do not queue behind each other's long polls. */
  #consumer: Consumer | undefined;
  #fetcher: PartitionFetcher | undefined;
  #context: PartitionContext | undefined;
  readonly #abort = new AbortController();
  /** Stops reading input (log and ingress sources) while what was read is still committed: a handover. */
  readonly #input = new AbortController();
  /** Offsets handed to the processor, in order, not yet known to be committed. */
  #delivered: number[] = [];
  #deliveredHead = 0;
  readonly #done = new Set<number>();
  #next = 0;
  #watermark = -1;
  #admitted = 0;
  #committedConsumed = 0;
  #wake: (() => void) | undefined;
  #loops: Promise<void>[] = [];
  #failed = false;
  /** True while a transaction is between begin and its end (commit or abort). */
  #inTransaction = false;
  /** Resolved when the commit loop has nothing queued and no transaction open (or has stopped). */
  #idleWaiters: (() => void)[] = [];
  #closing: Promise<void> | undefined;
  #running = false;
  readonly #positions = new Map<string, string>();

  constructor(options: PartitionTaskOptions) {
    this.#o = options;
    this.partition = options.partition;
    this.#log = options.logger.child({ partition: options.partition });
    this.#store = new KafkaPartitionStore({
      partition: options.partition,
      specs: options.specs,
      kafkaEgresses: options.kafkaEgresses,
      onWork: () => this.#wake?.(),
    });
  }

  /** True from the end of start() until close(): the partition is processing here. */
  get running(): boolean {
    return this.#running && this.#closing === undefined;
  }

  /** Fences the previous owner, restores, and starts processing. */
  async start(): Promise<void> {
    this.#throwIfClosed();
    const started = performance.now();
    const o = this.#o;
    this.#producer = new Producer({
      clientId: `eddy-${o.topics.cluster}-p${this.partition}`,
      bootstrapBrokers: o.brokers,
      transactionalId: partitionTransactionalId(o.topics.cluster, this.partition),
      idempotent: true,
      // -1/-1 asks the broker for this transactional.id's current producer id and bumps its epoch (fencing).
      producerId: -1n,
      producerEpoch: -1,
      acks: -1,
      timeout: o.transactionTimeoutMs,
      retries: 5,
      retryDelay,
      // Egress topics a module names are created on first use, as the embedded mode's Kafka egress does.
      autocreateTopics: true,
    });
    this.#consumer = new Consumer({ clientId: `eddy-${o.topics.cluster}-p${this.partition}-reader`, groupId: `eddy.${o.topics.cluster}.reader`, bootstrapBrokers: o.brokers, retries: 5, retryDelay });
    this.#fetcher = new PartitionFetcher(this.#consumer, `eddy-${o.topics.cluster}-p${this.partition}-reader`);
    const fence = await this.#producer.beginTransaction();
    await fence.cancel();
    this.#throwIfClosed();
    const restored = await this.#restore();
    this.#throwIfClosed();
    this.#watermark = restored.watermark;
    this.#next = restored.watermark;
    for (const [k, v] of restored.positions) this.#positions.set(k, v);
    this.#context = o.host.open(this.partition, this.#store);
    for (const t of restored.timers) this.#context.timers.add(t);
    this.#log.info(
      { timers: restored.timers.length, watermark: restored.watermark, ms: Math.round(performance.now() - started) },
      `partition ${this.partition} assigned: restored, processing from log offset ${restored.watermark}`,
    );
    this.#loops = [this.#fetchLoop(), this.#commitLoop(), ...o.ingressSources.map((s) => this.#ingressLoop(s))];
    this.#running = true;
  }

  /**
   * Stops the partition: no more reads or transactions; uncommitted work is
   * dropped (a new owner redoes it). Its Kafka clients are closed before its
   * loops are awaited, so a request in flight fails at once instead of
   * holding the close (and the partition's next opening) for its timeout.
   * Idempotent: every caller waits for the same close.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#input.abort();
    this.#abort.abort();
    this.#wake?.();
    this.#store.close();
    await this.#context?.close();
    this.#context = undefined;
    const clients: Promise<void>[] = [];
    if (this.#producer !== undefined) clients.push(closeQuietly(this.#producer));
    if (this.#consumer !== undefined) clients.push(closeQuietly(this.#consumer));
    if (this.#fetcher !== undefined) clients.push(this.#fetcher.close());
    await Promise.all(clients);
    await Promise.allSettled(this.#loops);
    this.#notifyIdle();
    this.#o.host.release(this.#admitted - this.#committedConsumed);
    this.#admitted = this.#committedConsumed;
  }

  /**
   * A clean shutdown or a handover: stops reading and processing, commits
   * what the processor already committed (queued, or in the transaction in
   * flight), waiting at most `timeoutMs`, then closes. Work still being
   * invoked is dropped; the partition's next owner redoes it.
   */
  async flushAndClose(timeoutMs: number): Promise<void> {
    if (this.#closing === undefined && this.#running && !this.#failed) {
      this.#input.abort();
      await this.#context?.close();
      if (this.#store.hasWork || this.#inTransaction) {
        const timer = new AbortController();
        await Promise.race([new Promise<void>((resolve) => this.#idleWaiters.push(resolve)), sleep(timeoutMs, timer.signal)]);
        timer.abort();
      }
    }
    await this.close();
  }

  #notifyIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }

  #throwIfClosed(): void {
    if (this.#abort.signal.aborted) throw new EddyError("EDDY_SHUTTING_DOWN", `partition ${this.partition} was closed while it was being opened`, { retryable: true });
  }

  async #restore(): Promise<{ watermark: number; timers: DelayedMessage[]; positions: Map<string, string> }> {
    const o = this.#o;
    const reader = new LogReader(this.#fetcher!, o.topics.changelog, this.partition, 50);
    const into = { watermark: 0, timers: new Map<string, DelayedMessage>(), positions: new Map<string, string>() };
    let from = 0n;
    let restored = 0;
    let total: bigint | undefined;
    let lastReport = performance.now();
    const backoff = new Backoff();
    for (;;) {
      if (this.#abort.signal.aborted) break;
      let result;
      try {
        result = await reader.read(from);
      } catch (error) {
        // A partition without a known leader yet (just created, or moving): wait for it rather than restore nothing.
        if (!isEddyError(error, "EDDY_CLUSTER_FAILED") || !error.retryable) throw error;
        await sleep(backoff.next(), this.#abort.signal);
        continue;
      }
      total ??= result.lastStable;
      for (const r of result.records) {
        if (r.key === null) continue;
        this.#store.restore(r.key.toString(), r.value === null || r.value.length === 0 ? null : r.value, into);
        restored++;
      }
      from = result.next;
      if (performance.now() - lastReport > 1000) {
        lastReport = performance.now();
        this.#log.info({ restored, offset: String(from), end: String(total) }, `partition ${this.partition}: restoring, ${restored} records (offset ${from} of ${total})`);
      }
      if (from >= result.lastStable && result.records.length === 0) break;
    }
    if (restored > 0) this.#log.info({ restored }, `partition ${this.partition}: restored ${restored} changelog records`);
    return { watermark: into.watermark, timers: [...into.timers.values()], positions: into.positions };
  }

  async #fetchLoop(): Promise<void> {
    const o = this.#o;
    const signal = this.#input.signal;
    const reader = new LogReader(this.#fetcher!, o.topics.log, this.partition, 100);
    while (!signal.aborted) {
      let result;
      try {
        result = await reader.read(BigInt(this.#next));
      } catch (error) {
        if (signal.aborted) return;
        this.#log.warn({ err: describeError(error) }, `partition ${this.partition}: reading the log failed; retrying`);
        await sleep(500, signal);
        continue;
      }
      if (signal.aborted) return;
      const fresh: Envelope[] = [];
      for (const record of result.records) {
        const message = decodeLogMessage(record);
        if (message === undefined || this.#store.applied(message)) continue;
        fresh.push(message);
      }
      if (fresh.length > 0) {
        for (const m of fresh) this.#delivered.push(m.seq);
        const context = this.#context;
        if (context === undefined) return;
        try {
          await o.host.admit(context, fresh, signal);
          this.#admitted += fresh.length;
        } catch (error) {
          if (!isEddyError(error, "EDDY_SHUTTING_DOWN")) this.#log.error({ err: describeError(error) }, "cannot hand messages to the processor");
          return;
        }
      }
      // A watermark that lags (only markers read) costs a few skipped records on the next restore, not a transaction now.
      this.#next = Number(result.next);
    }
  }

  async #ingressLoop(source: IngressSource): Promise<void> {
    const signal = this.#input.signal;
    const positions = this.#positions;
    while (!signal.aborted) {
      try {
        // A read has no effects, so a close need not wait for it (the shared ingress client stays open).
        const read = await untilAborted(source.read(this.partition, (key) => positions.get(key), signal), signal);
        if (read === undefined || signal.aborted) continue;
        positions.set(read.positionKey, read.next);
        const messages = read.messages;
        await this.#store.position(read.ingress, read.source, read.next, messages);
      } catch (error) {
        if (signal.aborted || isEddyError(error, "EDDY_SHUTTING_DOWN")) return;
        this.#log.warn({ err: describeError(error) }, `partition ${this.partition}: an ingress read failed; retrying`);
        await sleep(500, signal);
      }
    }
  }

  /** The lowest delivered offset not yet committed, or the fetch position when all are. */
  #currentWatermark(): number {
    while (this.#deliveredHead < this.#delivered.length && this.#done.has(this.#delivered[this.#deliveredHead]!)) {
      this.#done.delete(this.#delivered[this.#deliveredHead]!);
      this.#deliveredHead++;
    }
    if (this.#deliveredHead > 4096 && this.#deliveredHead * 2 > this.#delivered.length) {
      this.#delivered = this.#delivered.slice(this.#deliveredHead);
      this.#deliveredHead = 0;
    }
    return this.#deliveredHead < this.#delivered.length ? this.#delivered[this.#deliveredHead]! : this.#next;
  }

  async #commitLoop(): Promise<void> {
    const o = this.#o;
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      const work = this.#store.drain();
      for (const offset of work?.consumed ?? []) this.#done.add(offset);
      const watermark = this.#currentWatermark();
      if (work === undefined && watermark === this.#watermark) {
        this.#notifyIdle();
        await new Promise<void>((resolve) => (this.#wake = resolve));
        this.#wake = undefined;
        continue;
      }
      const messages: Message[] = [];
      const changelog = (key: string, value: string | null): void => {
        messages.push({ topic: o.topics.changelog, partition: this.partition, key: Buffer.from(key), value: value === null ? (null as unknown as Buffer) : Buffer.from(value) });
      };
      if (work !== undefined) {
        for (const [key, value] of work.changelog) changelog(key, value);
        for (const m of work.messages) {
          const encoded = encodeLogMessage(m);
          messages.push({ topic: o.topics.log, partition: partitionOf(m.target.id, o.topics.partitions), key: encoded.key, value: encoded.value ?? Buffer.alloc(0), headers: encoded.headers });
        }
        for (const e of work.egress) messages.push({ topic: e.topic, value: e.value, ...(e.key === undefined ? {} : { key: e.key }) });
      }
      if (watermark !== this.#watermark) changelog(WATERMARK_KEY, String(watermark));
      this.#inTransaction = true;
      try {
        const transaction = await this.#producer!.beginTransaction();
        try {
          await transaction.send({ messages });
          await transaction.commit();
        } catch (error) {
          if (!hasKafkaError(error, "PRODUCER_FENCED") && !hasKafkaError(error, "INVALID_PRODUCER_EPOCH")) await transaction.abort().catch(() => undefined);
          else await transaction.cancel().catch(() => undefined);
          throw error;
        }
      } catch (error) {
        this.#inTransaction = false;
        this.#failed = true;
        this.#notifyIdle();
        if (!signal.aborted) {
          const fenced = hasKafkaError(error, "PRODUCER_FENCED") || hasKafkaError(error, "INVALID_PRODUCER_EPOCH");
          // Stops the processor before it sees the rejections: its in-memory state ran ahead of Kafka and is dropped.
          o.onFailed(this, error, fenced);
        }
        // The partition closes on any failed transaction and its next opening redoes this work from Kafka, so to
        // the processor and the timers this is a shutdown of the partition, not a failure to retry or report.
        const dropped = new EddyError("EDDY_SHUTTING_DOWN", `partition ${this.partition}: its transaction failed (${describeError(error)}); the partition's work is redone from Kafka`, { cause: error, retryable: true });
        for (const w of work?.waiters ?? []) w.reject(dropped);
        return;
      }
      this.#inTransaction = false;
      this.#watermark = watermark;
      this.#committedConsumed += work?.consumed.length ?? 0;
      for (const w of work?.waiters ?? []) w.resolve();
    }
  }
}

/** The promise's value, or undefined as soon as `signal` aborts (what the promise does later is ignored). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  let onAbort: () => void = () => undefined;
  const aborted = new Promise<undefined>((resolve) => {
    onAbort = () => resolve(undefined);
    signal.addEventListener("abort", onAbort, { once: true });
  });
  return Promise.race([promise, aborted]).finally(() => signal.removeEventListener("abort", onAbort));
}
