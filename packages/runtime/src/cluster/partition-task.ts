import { Consumer } from "@platformatic/kafka";
import { EddyError, formatAddress, isEddyError } from "@eddy/sdk";
import type { Address, TypedValue } from "@eddy/sdk";
import type { Logger } from "../log/logger.js";
import type { Envelope } from "../model/envelope.js";
import { envelope } from "../model/envelope.js";
import { acceptRefusal } from "../model/ingress.js";
import type { Ingress, IngressSink, TargetProblem } from "../model/ingress.js";
import { partitionOf } from "../runtime/partitioner.js";
import type { PartitionContext } from "../runtime/partition-context.js";
import type { PlacementHost } from "../runtime/partition-placement.js";
import type { SpecRegistry } from "../store/spec-registry.js";
import { closeQuietly, describeError, retryDelay } from "../io/kafka/kafka-common.js";
import type { ClusterTopics } from "./cluster-topics.js";
import { decodeLogMessage, encodeLogMessage, sourcePositionKey } from "./cluster-records.js";
import type { IngressSource } from "./ingress-source.js";
import type { StreamIngress } from "./stream-ingress.js";
import { streamPartition } from "./stream-ingress.js";
import { KafkaPartitionStore } from "./kafka-partition-store.js";
import type { PendingWork, RestoredPartition, RestoreInto } from "./kafka-partition-store.js";
import { LogReader } from "./log-reader.js";
import type { SharedFetch } from "./shared-fetch.js";
import type { ReadResult } from "./log-reader.js";
import type { CachedPartition, PartitionCache } from "./partition-cache.js";
import { RestoreProgress } from "./restore-progress.js";
import { PartitionFetcher } from "../io/kafka/partition-fetcher.js";
import { Backoff } from "../retry/backoff.js";
import { sleep } from "../retry/sleep.js";
import type { GroupGeneration, GroupOffsets } from "./group-offsets.js";
import type { TransactionMessage, TransactionParticipant, TransactionWork, WorkerTransactions } from "./worker-transactions.js";

export interface PartitionTaskOptions {
  readonly partition: number;
  readonly topics: ClusterTopics;
  readonly brokers: string[];
  readonly specs: SpecRegistry;
  readonly kafkaEgresses: ReadonlySet<string>;
  readonly ingressSources: readonly IngressSource[];
  /** The worker's reads of its log and ingress source partitions (a restore reads the changelog on the task's own connections). */
  readonly reads: SharedFetch;
  /** Ingresses with readers of their own (Kinesis): this task runs those of their streams that map to its partition. */
  readonly streamIngresses: readonly StreamIngress[];
  readonly checkTarget: (target: Address, argument: TypedValue) => TargetProblem | undefined;
  readonly host: PlacementHost;
  readonly logger: Logger;
  /** The worker's transactions: this partition's work goes into them while it runs. */
  readonly transactions: WorkerTransactions;
  /** The worker's consumer group offsets: the log partition's committed offset is its watermark. */
  readonly offsets: GroupOffsets;
  /** The worker's local cache of its partitions' changelogs (`--data-dir`), if it has one. */
  readonly cache?: LocalCache;
  /** Called once when the task stopped on its own: a worker transaction carrying its work failed, in `generation`. */
  readonly onFailed: (task: PartitionTask, error: unknown, generation: GroupGeneration) => void;
  /** Called once, when the first worker transaction carrying this task's work committed: the partition works again. */
  readonly onCommitted: (task: PartitionTask) => void;
}

/** A worker's local changelog cache, and how old a cache may be to have only the changelog after its offset read. */
export interface LocalCache {
  readonly store: PartitionCache;
  /** The changelog topic's delete.retention.ms: how long the broker keeps a tombstone once compaction reached it. */
  readonly tombstoneRetentionMs: number;
}

/** How long a new owner waits for its previous owner's open transaction before aborting it. */
const FENCE_AFTER_MS = 500;

/**
 * One log partition while this worker owns it (Kafka Streams calls it a task).
 *
 * 1. Wait for the previous owner: the log partition's group offset is read
 *    with require_stable (a transaction of the previous owner with pending
 *    offsets for it has ended), then the changelog partition's last stable
 *    offset must reach its high watermark (no transaction that wrote to it is
 *    open, its markers are written).
 * 2. Restore: reads its changelog partition to the end (read_committed):
 *    state, last consumed offset per address, timers, ingress positions; the
 *    watermark is the group offset.
 * 3. Run: reads the log from the watermark, skips messages whose effects an
 *    address's state already includes, hands the rest to the processor, and
 *    gives what the processor committed to the worker's next transaction
 *    (WorkerTransactions): changelog records, produced messages, fired timers,
 *    Kafka egress records, ingress positions, and the new watermark as the
 *    partition's group offset.
 */
export class PartitionTask implements TransactionParticipant {
  readonly partition: number;
  readonly #o: PartitionTaskOptions;
  #store: KafkaPartitionStore;
  readonly #log: Logger;
  /** Fetches this partition's changelog on its own connections, so a restore does not queue behind the worker's long polls. */
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
  #loops: Promise<void>[] = [];
  #failed = false;
  #committedOnce = false;
  /** True while a worker transaction carrying this partition's work is between begin and its end (commit or abort). */
  #inTransaction = false;
  /** The store's work that the transaction in flight carries: its waiters settle with it. */
  #carried: PendingWork | undefined;
  /** Resolved when this partition has nothing queued and no transaction carries its work (or it has stopped). */
  #idleWaiters: (() => void)[] = [];
  #closing: Promise<void> | undefined;
  #running = false;
  /** The previous owner's open transaction was aborted during this opening (see #fencePreviousOwner). */
  #fencedPrevious = false;
  readonly #positions = new Map<string, string>();
  /** The stream ingresses this task runs, and their stop once asked for. */
  readonly #streamReaders: Ingress[] = [];
  #streamReadersStopped: Promise<void> | undefined;

  constructor(options: PartitionTaskOptions) {
    this.#o = options;
    this.partition = options.partition;
    this.#log = options.logger.child({ partition: options.partition });
    this.#store = this.#newStore();
  }

  #newStore(): KafkaPartitionStore {
    return new KafkaPartitionStore({ partition: this.partition, specs: this.#o.specs, kafkaEgresses: this.#o.kafkaEgresses, onWork: () => this.#o.transactions.wake() });
  }

  /** True from the end of start() until close(): the partition is processing here. */
  get running(): boolean {
    return this.#running && this.#closing === undefined;
  }

  /** Waits for the previous owner's transactions to end, restores, and starts processing. */
  async start(): Promise<void> {
    this.#throwIfClosed();
    const started = performance.now();
    const o = this.#o;
    this.#consumer = new Consumer({ clientId: `eddy-${o.topics.cluster}-p${this.partition}-reader`, groupId: `eddy.${o.topics.cluster}.reader`, bootstrapBrokers: o.brokers, retries: 5, retryDelay });
    this.#fetcher = new PartitionFetcher(this.#consumer, `eddy-${o.topics.cluster}-p${this.partition}-reader`);
    // A failed transaction of this worker that carried this partition's work is finished before anything is read.
    await o.transactions.ready();
    this.#throwIfClosed();
    const committed = await o.offsets.stable(o.topics.log, this.partition, this.#abort.signal, (waitedMs) => this.#fencePreviousOwner(waitedMs, "pending offsets"));
    this.#throwIfClosed();
    const restored = await this.#restore();
    this.#throwIfClosed();
    // A cluster written before the watermark moved into the group offsets has it in the changelog only.
    const watermark = committed >= 0 ? committed : restored.watermark;
    this.#watermark = watermark;
    this.#next = watermark;
    for (const [k, v] of restored.positions) this.#positions.set(k, v);
    this.#context = o.host.open(this.partition, this.#store);
    for (const t of restored.timers) this.#context.timers.add(t);
    // Parked before any message is read, so the messages behind a parked one wait behind it again.
    for (const q of restored.parked) this.#context.processor.restoreParked(q);
    this.#log.info(
      { timers: restored.timers.length, parked: restored.parked.length, watermark, ms: Math.round(performance.now() - started) },
      `partition ${this.partition} assigned: restored, processing from log offset ${watermark}`,
    );
    this.#loops = [this.#fetchLoop(), ...o.ingressSources.map((s) => this.#ingressLoop(s))];
    o.transactions.join(this);
    await this.#startStreamReaders();
    this.#running = true;
  }

  /** Starts a reader for each stream ingress with streams that map to this partition (they resume from the restored positions). */
  async #startStreamReaders(): Promise<void> {
    const sink = this.#streamSink();
    for (const ingress of this.#o.streamIngresses) {
      const streams = ingress.streams.filter((stream) => streamPartition(stream, this.#o.topics.partitions) === this.partition);
      if (streams.length === 0) continue;
      this.#throwIfClosed();
      const reader = ingress.create(streams);
      this.#streamReaders.push(reader);
      await reader.start(sink);
      this.#log.info({ ingress: ingress.id, streams }, `partition ${this.partition}: ${reader.describe()}`);
    }
  }

  /** Stops the stream readers (at once: they read no more); resolves once each has stopped. */
  #stopStreamReaders(): Promise<void> {
    this.#streamReadersStopped ??= Promise.allSettled(this.#streamReaders.map((r) => r.stop())).then(() => undefined);
    return this.#streamReadersStopped;
  }

  /**
   * What this partition's stream readers hand their records to: the messages and the shard's position go into the
   * partition's next transaction, and accept() resolves once it committed (the reader then reads on), as the embedded
   * store's accept does once it is durable. Refused as the embedded runtime refuses: a target no function serves or
   * an address that is not valid (the reader retries the batch); a value a function rejects fails at that function.
   */
  #streamSink(): IngressSink {
    const positions = this.#positions;
    return {
      accept: async (messages, position) => {
        if (position === undefined) throw new EddyError("EDDY_CLUSTER_FAILED", `partition ${this.partition}: a stream ingress accepted records without their position`);
        for (const m of messages) {
          const refusal = acceptRefusal(this.#o.checkTarget(m.target, m.argument), `${position.ingress}, ${position.partition}: message to ${formatAddress(m.target)}`);
          if (refusal !== undefined) throw refusal;
        }
        positions.set(sourcePositionKey(position.ingress, position.partition), position.next);
        await this.#store.position(position.ingress, position.partition, position.next, messages.map((m) => envelope(m.target, m.argument, undefined)));
      },
      position: (ingress, partition) => positions.get(sourcePositionKey(ingress, partition)),
      checkTarget: (target, argument) => this.#o.checkTarget(target, argument),
    };
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
    this.#o.transactions.leave(this);
    this.#input.abort();
    this.#abort.abort();
    const readersStopped = this.#stopStreamReaders();
    this.#store.close();
    await this.#context?.close();
    this.#context = undefined;
    const clients: Promise<void>[] = [];
    if (this.#consumer !== undefined) clients.push(closeQuietly(this.#consumer));
    if (this.#fetcher !== undefined) clients.push(this.#fetcher.close());
    await Promise.all(clients);
    await Promise.allSettled([...this.#loops, readersStopped]);
    this.#notifyIdle();
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
      // Not waited for here: a reader waits for its last batch's transaction, which this flush commits.
      void this.#stopStreamReaders();
      await this.#context?.close();
      const until = performance.now() + timeoutMs;
      if (this.#store.hasWork || this.#inTransaction) {
        const timer = new AbortController();
        const idle = new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
        this.#o.transactions.wake();
        await Promise.race([idle, sleep(timeoutMs, timer.signal)]);
        timer.abort();
      }
      if (!this.#failed && !this.#store.hasWork && !this.#inTransaction) await this.#catchUpCache(until);
    }
    await this.close();
  }

  /**
   * A revocation: the partition's uncommitted work is dropped at once (the group's generation no longer gives it to
   * this worker, so no transaction may carry it), a transaction already carrying it ends (at most `timeoutMs`), and
   * the local cache is brought up to the changelog before the close, so a later restore here reads less.
   */
  async handOver(timeoutMs: number): Promise<void> {
    if (this.#closing === undefined && this.#running && !this.#failed) {
      this.#o.transactions.leave(this);
      this.#input.abort();
      void this.#stopStreamReaders();
      this.#store.close();
      await this.#context?.close();
      const until = performance.now() + timeoutMs;
      if (this.#inTransaction) {
        const timer = new AbortController();
        await Promise.race([new Promise<void>((resolve) => this.#idleWaiters.push(resolve)), sleep(timeoutMs, timer.signal)]);
        timer.abort();
      }
      if (!this.#inTransaction) await this.#catchUpCache(until);
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

  /**
   * Restores the partition: from the local cache when there is one (`--data-dir`) and it is usable, then the
   * changelog after the cache's offset (nothing to read when the cache is current); otherwise the whole changelog.
   * Whatever is read from the changelog is written to the cache, with the offset it reaches.
   */
  async #restore(): Promise<RestoredPartition> {
    const o = this.#o;
    const p = this.partition;
    // The worker's logger, not the partition's child: every line names the partition itself.
    const progress = new RestoreProgress(o.logger, p);
    const reader = new LogReader(this.#fetcher!, o.topics.changelog, p, 50);
    const cache = o.cache;
    let into = emptyRestore();
    let cached = 0;
    let from = 0n;
    let readAt = Date.now();
    let result: ReadResult | undefined;
    const meta = cache?.store.meta(p);
    if (cache !== undefined && meta !== undefined) {
      let problem: string | undefined;
      try {
        result = await this.#readSettled(reader, meta.offset);
        problem = cacheProblem(meta, result, cache.tombstoneRetentionMs);
        if (problem === undefined) {
          for (const [key, value] of cache.store.records(p)) {
            this.#store.restore(key, value.length === 0 ? null : value, into);
            cached++;
          }
        }
      } catch (error) {
        if (this.#abort.signal.aborted) throw error;
        problem = result === undefined ? `its changelog offset ${meta.offset} cannot be read (${describeError(error)})` : `it is damaged (${describeError(error)})`;
      }
      if (problem === undefined) from = meta.offset;
      else {
        this.#log.warn({ cachedOffset: String(meta.offset), reason: problem }, `partition ${p}: the local cache is not used: ${problem}; restoring from the changelog`);
        this.#store = this.#newStore();
        into = emptyRestore();
        cached = 0;
        result = undefined;
      }
    }
    if (cache !== undefined && from === 0n) await cache.store.clear(p);
    if (result === undefined) {
      readAt = Date.now();
      result = await this.#readSettled(reader, from);
    }
    progress.begin({ cached, from, end: result.lastStable, source: cached === 0 && from === 0n ? "changelog" : from >= result.lastStable ? "cache" : "cache+tail" });
    await this.#follow(reader, from, { result, readAt }, { progress, apply: (key, value) => this.#store.restore(key, value, into) });
    progress.done();
    return { watermark: into.watermark, timers: [...into.timers.values()], positions: into.positions, parked: [...into.parked.values()] };
  }

  /**
   * The restore's first read of the changelog, once no transaction that wrote to it is open (its last stable offset
   * reached its high watermark): the offsets being stable says the previous owner's last transaction ended, not
   * that its markers reached this partition; and an owner cut off before it committed its offsets may still hold a
   * transaction open here, which the broker aborts when its offsets are refused or its timeout passes.
   */
  async #readSettled(reader: LogReader, from: bigint): Promise<ReadResult> {
    const backoff = new Backoff({ initialMs: 20, maxMs: 500 });
    const since = performance.now();
    let logged = false;
    for (;;) {
      const result = await this.#read(reader, from);
      if (result.lastStable >= result.highWatermark) return result;
      await this.#fencePreviousOwner(performance.now() - since, "an open transaction on its changelog");
      if (!logged && performance.now() - since > 2_000) {
        logged = true;
        this.#log.info({ lastStable: String(result.lastStable), highWatermark: String(result.highWatermark) }, `partition ${this.partition}: waiting for an open transaction on its changelog (its previous owner's) to end before restoring`);
      }
      await sleep(backoff.next(), this.#abort.signal);
      this.#throwIfClosed();
    }
  }

  /**
   * Once a new owner has waited a moment for the previous owner's transaction, it aborts that transaction (the
   * previous owner is found as the last committer of the partition's group offset): a worker that died with a
   * transaction open would otherwise hold the partition until the broker's transaction timeout. Once per opening.
   */
  async #fencePreviousOwner(waitedMs: number, what: string): Promise<void> {
    if (this.#fencedPrevious || waitedMs < FENCE_AFTER_MS) return;
    this.#fencedPrevious = true;
    const o = this.#o;
    const previous = await o.offsets.lastCommitter(o.topics.log, this.partition);
    if (previous === undefined || previous === o.transactions.transactionalId) return;
    this.#log.info({ previousOwner: previous, waitedMs: Math.round(waitedMs) }, `partition ${this.partition}: waited ${Math.round(waitedMs)} ms for ${what} of its previous owner; aborting its open transaction (${previous})`);
    await o.transactions.fence(previous);
  }

  /** Reads the changelog from `from`, waiting out a partition without a known leader yet (just created, or moving) rather than taking it as empty. */
  async #read(reader: LogReader, from: bigint): Promise<ReadResult> {
    const backoff = new Backoff();
    for (;;) {
      try {
        return await reader.read(from);
      } catch (error) {
        if (!isEddyError(error, "EDDY_CLUSTER_FAILED") || !error.retryable || this.#abort.signal.aborted) throw error;
        await sleep(backoff.next(), this.#abort.signal);
      }
    }
  }

  /**
   * Brings the local cache up to the changelog's end before the partition closes cleanly (what this worker wrote
   * since its restore, and anything a new owner wrote already), within `untilMs` (a performance.now() time), so a
   * restart restores from the cache without reading the changelog. Stopping early leaves an older, still true prefix.
   */
  async #catchUpCache(untilMs: number): Promise<void> {
    const cache = this.#o.cache;
    const p = this.partition;
    const meta = cache?.store.meta(p);
    if (cache === undefined || meta === undefined) return;
    const reader = new LogReader(this.#fetcher!, this.#o.topics.changelog, p, 50);
    try {
      const reached = await this.#follow(reader, meta.offset, undefined, { untilMs, topicId: meta.topicId });
      if (reached.end) this.#log.info({ offset: String(reached.offset) }, `partition ${p}: local cache brought up to changelog offset ${reached.offset}`);
      else this.#log.info({ offset: String(reached.offset) }, `partition ${p}: local cache left at changelog offset ${reached.offset} (out of time); the next restore reads the changelog after it`);
    } catch (error) {
      this.#log.info({ err: describeError(error) }, `partition ${p}: local cache not brought up to date; the next restore reads the changelog after its offset`);
    }
  }

  /**
   * Reads the changelog partition from `from` to its last stable offset (or until `untilMs`, a performance.now()
   * time), starting with `first` when that read was made already; hands every record to `apply` and writes each
   * batch to the local cache with the offset it reaches. Returns that offset and whether it is the end.
   */
  async #follow(
    reader: LogReader,
    from: bigint,
    first: { result: ReadResult; readAt: number } | undefined,
    options: { apply?: (key: string, value: Buffer | null) => void; progress?: RestoreProgress; untilMs?: number; topicId?: string },
  ): Promise<{ offset: bigint; end: boolean }> {
    const cache = this.#o.cache;
    let next = first;
    // The first batch is written even when empty: the cache then records the offset it covers (0 for a fresh partition).
    let written = false;
    for (;;) {
      if (next === undefined) {
        const readAt = Date.now();
        // A catch-up at close has a deadline: it does not wait for a leader.
        next = { result: options.untilMs === undefined ? await this.#read(reader, from) : await reader.read(from), readAt };
      }
      const { result, readAt } = next;
      next = undefined;
      // The topic was deleted and created again under this worker: nothing read from it belongs in this cache.
      if (options.topicId !== undefined && result.topicId !== options.topicId) return { offset: from, end: false };
      const records: [string, Buffer | null][] = [];
      for (const r of result.records) {
        if (r.key === null) continue;
        const key = r.key.toString();
        const value = r.value === null || r.value.length === 0 ? null : r.value;
        options.apply?.(key, value);
        records.push([key, value]);
      }
      if (cache !== undefined && (!written || records.length > 0 || result.next !== from)) {
        await cache.store.write(this.partition, records, { topicId: result.topicId, offset: result.next, readAt });
        written = true;
      }
      options.progress?.advance(records.length, result.next);
      from = result.next;
      if (from >= result.lastStable && result.records.length === 0) return { offset: from, end: true };
      if (this.#abort.signal.aborted || (options.untilMs !== undefined && performance.now() >= options.untilMs)) return { offset: from, end: false };
    }
  }

  async #fetchLoop(): Promise<void> {
    const o = this.#o;
    const signal = this.#input.signal;
    while (!signal.aborted) {
      let result;
      try {
        result = await o.reads.read(o.topics.log, this.partition, BigInt(this.#next), signal);
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
        // Offsets enter #delivered in log order, or the watermark could pass a message not yet processed. A restored
        // parked message is not handed over (the processor holds it already) but is delivered and not done, so the
        // watermark stays below it until it is retried or dropped.
        this.#delivered.push(message.seq);
        if (!this.#store.parked(message)) fresh.push(message);
      }
      if (fresh.length > 0) {
        const context = this.#context;
        if (context === undefined) return;
        try {
          await o.host.admit(context, fresh, signal);
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
    const readPartition = (topic: string, partition: number, from: bigint): Promise<ReadResult> => this.#o.reads.read(topic, partition, from, signal);
    while (!signal.aborted) {
      try {
        // A read has no effects, so a close need not wait for it (the partition's clients close with it).
        const read = await untilAborted(source.read(this.partition, readPartition, (key) => positions.get(key), signal), signal);
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

  /** Takes what the processor committed since the last transaction, with the watermark, for the worker's next transaction. */
  collect(): TransactionWork | undefined {
    if (this.#failed || this.#inTransaction || this.#abort.signal.aborted) return undefined;
    const o = this.#o;
    const work = this.#store.drain();
    for (const offset of work?.consumed ?? []) this.#done.add(offset);
    const watermark = this.#currentWatermark();
    if (work === undefined && watermark === this.#watermark) {
      this.#notifyIdle();
      return undefined;
    }
    const messages: TransactionMessage[] = [];
    if (work !== undefined) {
      for (const [key, value] of work.changelog) {
        messages.push({ topic: o.topics.changelog, partition: this.partition, key: Buffer.from(key), value: value === null ? (null as unknown as Buffer) : Buffer.from(value) });
      }
      for (const m of work.messages) {
        const encoded = encodeLogMessage(m);
        messages.push({ topic: o.topics.log, partition: partitionOf(m.target.id, o.topics.partitions), key: encoded.key, value: encoded.value ?? Buffer.alloc(0), headers: encoded.headers });
      }
      for (const e of work.egress) messages.push({ topic: e.topic, value: e.value, ...(e.key === undefined ? {} : { key: e.key }) });
    }
    this.#inTransaction = true;
    this.#carried = work;
    return { messages, watermark };
  }

  committed(work: TransactionWork): void {
    if (!this.#committedOnce) {
      this.#committedOnce = true;
      this.#o.onCommitted(this);
    }
    const carried = this.#carried;
    this.#inTransaction = false;
    this.#carried = undefined;
    this.#watermark = work.watermark;
    for (const w of carried?.waiters ?? []) w.resolve();
    if (!this.#store.hasWork) this.#notifyIdle();
  }

  failed(_work: TransactionWork, error: unknown, generation: GroupGeneration): void {
    const carried = this.#carried;
    this.#inTransaction = false;
    this.#carried = undefined;
    this.#failed = true;
    this.#notifyIdle();
    // Stops the processor before it sees the rejections: its in-memory state ran ahead of Kafka and is dropped.
    if (!this.#abort.signal.aborted) this.#o.onFailed(this, error, generation);
    // The partition closes on any failed transaction and its next opening redoes this work from Kafka, so to
    // the processor and the timers this is a shutdown of the partition, not a failure to retry or report.
    const dropped = new EddyError("EDDY_SHUTTING_DOWN", `partition ${this.partition}: the worker transaction carrying its work failed (${describeError(error)}); the partition's work is redone from Kafka`, { cause: error, retryable: true });
    for (const w of carried?.waiters ?? []) w.reject(dropped);
  }
}

function emptyRestore(): RestoreInto {
  return { watermark: 0, timers: new Map(), positions: new Map(), parked: new Map() };
}

/**
 * Why a partition's cache may not stand for the changelog below its offset, or undefined when it may. The
 * changelog after the offset is read in any case; that is enough unless compaction dropped a tombstone there
 * (a deleted timer or value the cache still holds): the broker keeps tombstones for delete.retention.ms, so a
 * cache read longer ago than half of that (a margin for clock skew) is not used.
 */
function cacheProblem(meta: CachedPartition, read: ReadResult, tombstoneRetentionMs: number): string | undefined {
  if (meta.topicId !== read.topicId) return `it was read from another changelog topic of that name (topic id ${meta.topicId}, now ${read.topicId}: the topic was deleted and created again)`;
  if (meta.offset > read.lastStable) return `it is ahead of the changelog (cached up to offset ${meta.offset}, the changelog ends at ${read.lastStable}: the topic lost records)`;
  const ageMs = Date.now() - meta.readAt;
  if (meta.offset < read.lastStable && ageMs >= tombstoneRetentionMs / 2) {
    return `it is ${Math.round(ageMs / 1000)} s old and behind the changelog, and the changelog keeps tombstones only ${Math.round(tombstoneRetentionMs / 1000)} s (delete.retention.ms)`;
  }
  return undefined;
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
