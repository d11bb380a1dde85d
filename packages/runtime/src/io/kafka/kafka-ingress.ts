import { Consumer, FetchIsolationLevels, ListOffsetTimestamps } from "@platformatic/kafka";
import type { GroupAssignment } from "@platformatic/kafka";
import { isEddyError } from "@eddy/sdk";
import type { Address, RoutedMessage, TypedValue } from "@eddy/sdk";
import type { KafkaIngressSpec } from "../../config/index.js";
import type { Logger } from "../../log/logger.js";
import type { Ingress, IngressSink } from "../../model/ingress.js";
import { committedRecords } from "./committed-records.js";
import type { FetchedPartition } from "./committed-records.js";
import { routeIngressRecord } from "./ingress-record.js";
import { bootstrapBrokers, closeQuietly, describeError, intProperty, retryDelay, warnUnsupported } from "./kafka-common.js";
import type { FetchResponse } from "./partition-fetcher.js";
import { PartitionFetcher } from "./partition-fetcher.js";
import { Backoff } from "../../retry/backoff.js";
import { sleep } from "../../retry/sleep.js";

export interface KafkaIngressOptions {
  readonly spec: KafkaIngressSpec;
  readonly logger: Logger;
  /** Longest wait of one fetch when no record is there (fetch.max.wait.ms). Default 100 ms. */
  readonly maxWaitMs?: number;
}

const OFFSET_OUT_OF_RANGE = 1;

/** Properties applied to the consumer; anything else is reported once as ignored. */
const SUPPORTED_PROPERTIES = new Set([
  "bootstrap.servers",
  "group.id",
  "client.id",
  "isolation.level",
  "session.timeout.ms",
  "heartbeat.interval.ms",
  "max.poll.interval.ms",
  "fetch.max.wait.ms",
  "fetch.min.bytes",
  "fetch.max.bytes",
  "max.partition.fetch.bytes",
  "request.timeout.ms",
  "auto.offset.reset",
  "enable.auto.commit",
  "group.instance.id",
]);

interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  /** "topic/partition": the key of the input position in Eddy's store. */
  readonly key: string;
  next: bigint;
}

/**
 * `io.statefun.kafka.v1/ingress`. Eddy's own store, not Kafka, is the source
 * of truth for how far each partition was read: every fetched partition batch
 * goes to `sink.accept` together with the next offset, so the messages and the
 * position are stored atomically and a crash neither skips nor repeats input.
 * Group offsets are committed to Kafka afterwards only so that lag tools work.
 *
 * The consumer joins its group for partition assignment but fetches with its
 * own loop (not the client's message stream): the loop decides where each
 * partition starts, waits for each accept before fetching more (backpressure),
 * and survives broker restarts instead of ending the stream.
 */
export class KafkaIngress implements Ingress {
  readonly id: string;
  readonly #spec: KafkaIngressSpec;
  readonly #logger: Logger;
  readonly #routes: Map<string, KafkaIngressSpec["topics"][number]>;
  readonly #maxWaitMs: number;
  readonly #isolationLevel: number;
  #consumer: Consumer | undefined;
  #fetcher: PartitionFetcher | undefined;
  #sink: IngressSink | undefined;
  #loop: Promise<void> | undefined;
  readonly #abort = new AbortController();
  /** Partitions assigned to this member, with the next offset to fetch. */
  #partitions = new Map<string, PartitionState>();
  #assignment: readonly GroupAssignment[] | undefined;
  #assignmentChanged = false;
  #commitInFlight = false;
  readonly #toCommit = new Map<string, PartitionState>();
  #keyless = 0;
  #rejected = 0;

  constructor(options: KafkaIngressOptions) {
    this.#spec = options.spec;
    this.id = options.spec.id;
    this.#logger = options.logger.child({ ingress: options.spec.id });
    this.#routes = new Map(options.spec.topics.map((t) => [t.topic, t]));
    const props = options.spec.properties;
    this.#maxWaitMs = intProperty(props, "fetch.max.wait.ms", this.#logger, {}) ?? options.maxWaitMs ?? 100;
    // Kafka's own default is read_uncommitted; keep it unless the module asks otherwise.
    this.#isolationLevel =
      props["isolation.level"]?.toLowerCase() === "read_committed"
        ? FetchIsolationLevels.READ_COMMITTED
        : FetchIsolationLevels.READ_UNCOMMITTED;
    warnUnsupported(props, SUPPORTED_PROPERTIES, this.#logger, {});
  }

  start(sink: IngressSink): Promise<void> {
    this.#sink = sink;
    const props = this.#spec.properties;
    const session = intProperty(props, "session.timeout.ms", this.#logger, {});
    const heartbeat = intProperty(props, "heartbeat.interval.ms", this.#logger, {});
    const rebalance = intProperty(props, "max.poll.interval.ms", this.#logger, {});
    const timeout = intProperty(props, "request.timeout.ms", this.#logger, {});
    const minBytes = intProperty(props, "fetch.min.bytes", this.#logger, {});
    const maxBytes = intProperty(props, "fetch.max.bytes", this.#logger, {});
    const perPartition = intProperty(props, "max.partition.fetch.bytes", this.#logger, {});
    this.#consumer = new Consumer({
      clientId: props["client.id"] ?? `eddy-${this.id}`,
      groupId: this.#spec.consumerGroupId,
      bootstrapBrokers: bootstrapBrokers(this.#spec.address),
      // Static membership: a restarted Eddy (after a crash) takes its partitions back at once instead of waiting
      // for the dead member's session to time out.
      groupInstanceId: props["group.instance.id"] ?? `eddy-${this.id}`,
      isolationLevel: this.#isolationLevel,
      maxWaitTime: this.#maxWaitMs,
      retries: 3,
      retryDelay,
      ...(session === undefined ? { sessionTimeout: 30_000 } : { sessionTimeout: session }),
      ...(heartbeat === undefined ? { heartbeatInterval: 3_000 } : { heartbeatInterval: heartbeat }),
      ...(rebalance === undefined ? {} : { rebalanceTimeout: rebalance }),
      ...(timeout === undefined ? {} : { timeout }),
      ...(minBytes === undefined ? {} : { minBytes }),
      ...(maxBytes === undefined ? {} : { maxBytes }),
      ...(perPartition === undefined ? {} : { maxBytesPerPartition: perPartition }),
    });
    this.#fetcher = new PartitionFetcher(this.#consumer, props["client.id"] ?? `eddy-${this.id}`);
    this.#consumer.topics.trackAll(...this.#routes.keys());
    this.#consumer.on("consumer:group:join", (payload) => {
      this.#assignment = payload.assignments ?? [];
      this.#assignmentChanged = true;
    });
    // Joining waits for the broker; start() returns at once so a broker that is down does not block the runtime.
    this.#loop = this.#run().catch((error: unknown) => {
      this.#logger.error({ err: error }, `Kafka ingress ${this.id} stopped: ${describeError(error)}`);
    });
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
    const consumer = this.#consumer;
    this.#consumer = undefined;
    if (consumer === undefined) return;
    // Leaving is a courtesy to the group (errors do not matter): a static member's restart takes its place anyway.
    await new Promise<void>((resolve) => {
      consumer.leaveGroup(true, () => resolve());
    });
    await closeQuietly(consumer);
    await this.#fetcher?.close();
  }

  describe(): string {
    const topics = this.#spec.topics.map((t) => `${t.topic} → ${t.targets.join(", ")}`).join("; ");
    return `Kafka ingress from ${this.#spec.address}, group ${this.#spec.consumerGroupId}, startup ${this.#spec.startupPosition.type} (${topics})`;
  }

  /** Records seen without a key (logged and skipped). */
  get keylessRecords(): number {
    return this.#keyless;
  }

  /** Records whose value a target function rejected up front (logged and skipped). */
  get rejectedRecords(): number {
    return this.#rejected;
  }

  async #run(): Promise<void> {
    const consumer = this.#consumer!;
    const signal = this.#abort.signal;
    const backoff = new Backoff();
    while (!signal.aborted) {
      try {
        if (!consumer.isActive() || consumer.memberId === null || this.#assignment === undefined) {
          await consumer.joinGroup({});
          this.#assignment ??= consumer.assignments ?? [];
          this.#assignmentChanged = true;
        }
        if (this.#assignmentChanged) {
          this.#assignmentChanged = false;
          await this.#assign(this.#assignment);
        }
        if (this.#partitions.size === 0) {
          // Nothing assigned (more members than partitions): wait for a rebalance.
          await sleep(this.#maxWaitMs * 5, signal);
          continue;
        }
        await this.#fetchOnce(consumer, signal);
        if (backoff.attempts > 0) this.#logger.info("Kafka ingress reconnected");
        backoff.reset();
      } catch (error) {
        if (signal.aborted) break;
        if (isEddyError(error, "EDDY_SHUTTING_DOWN")) break;
        const delay = backoff.next();
        this.#logger.warn(
          { err: describeError(error), retryInMs: delay, attempt: backoff.attempts },
          "Kafka ingress: fetching failed (broker down or restarting?); retrying",
        );
        // Force a metadata refresh and, when the member was dropped, a rejoin.
        consumer.clearMetadata();
        await sleep(delay, signal);
      }
    }
  }

  /** Decides where each newly assigned partition starts: Eddy's stored position first, else the startup position. */
  async #assign(assignment: readonly GroupAssignment[]): Promise<void> {
    const sink = this.#sink!;
    const next = new Map<string, PartitionState>();
    const missing: PartitionState[] = [];
    for (const { topic, partitions } of assignment) {
      for (const partition of partitions) {
        const key = `${topic}/${partition}`;
        const stored = sink.position(this.id, key);
        const current = this.#partitions.get(key);
        const state: PartitionState = { topic, partition, key, next: -1n };
        if (stored !== undefined) state.next = BigInt(stored);
        else if (current !== undefined) state.next = current.next;
        else missing.push(state);
        next.set(key, state);
      }
    }
    if (missing.length > 0) await this.#resolveStartup(missing);
    this.#partitions = next;
    this.#logger.info(
      { partitions: [...next.values()].map((p) => `${p.key}@${p.next}`) },
      "Kafka ingress: partitions assigned",
    );
  }

  async #resolveStartup(states: PartitionState[]): Promise<void> {
    const consumer = this.#consumer!;
    const startup = this.#spec.startupPosition;
    const reset = this.#spec.autoOffsetResetPosition === "earliest" ? ListOffsetTimestamps.EARLIEST : ListOffsetTimestamps.LATEST;
    let unresolved = states;
    if (startup.type === "specific-offsets") {
      unresolved = [];
      for (const s of states) {
        const o = startup.offsets.find((x) => x.topic === s.topic && x.partition === s.partition);
        if (o !== undefined) s.next = BigInt(o.offset);
        else unresolved.push(s);
      }
    }
    // Flink falls back to the group's committed offsets for partitions that specific-offsets does not name.
    if (unresolved.length > 0 && (startup.type === "group-offsets" || startup.type === "specific-offsets")) {
      const committed = await consumer.listCommittedOffsets({ topics: groupByTopic(unresolved) });
      const left: PartitionState[] = [];
      for (const s of unresolved) {
        const offset = committed.get(s.topic)?.[s.partition];
        if (offset !== undefined && offset >= 0n) s.next = offset;
        else left.push(s);
      }
      unresolved = left;
    }
    if (unresolved.length > 0 && startup.type === "date") {
      const found = await this.#listOffsets(unresolved, BigInt(startup.epochMillis));
      const left: PartitionState[] = [];
      for (const s of unresolved) {
        const offset = found.get(s.topic)?.[s.partition];
        if (offset !== undefined && offset >= 0n) s.next = offset;
        else left.push(s);
      }
      // No record at or after the date: start at the end, as Kafka's offsetsForTimes users do.
      await this.#seek(left, ListOffsetTimestamps.LATEST);
      unresolved = [];
    }
    if (unresolved.length > 0) {
      const where =
        startup.type === "earliest"
          ? ListOffsetTimestamps.EARLIEST
          : startup.type === "latest"
            ? ListOffsetTimestamps.LATEST
            : reset;
      await this.#seek(unresolved, where);
    }
  }

  async #seek(states: PartitionState[], timestamp: bigint): Promise<void> {
    if (states.length === 0) return;
    const offsets = await this.#listOffsets(states, timestamp);
    for (const s of states) s.next = offsets.get(s.topic)?.[s.partition] ?? 0n;
  }

  #listOffsets(states: readonly PartitionState[], timestamp: bigint): Promise<Map<string, bigint[]>> {
    const partitions: Record<string, number[]> = {};
    for (const s of states) (partitions[s.topic] ??= []).push(s.partition);
    return this.#consumer!.listOffsets({ topics: Object.keys(partitions), partitions, timestamp, isolationLevel: this.#isolationLevel });
  }

  async #fetchOnce(consumer: Consumer, signal: AbortSignal): Promise<void> {
    const metadata = await consumer.metadata({ topics: [...this.#routes.keys()] });
    const byLeader = new Map<number, PartitionState[]>();
    for (const state of this.#partitions.values()) {
      const topic = metadata.topics.get(state.topic);
      const leader = topic?.partitions[state.partition]?.leader;
      if (topic === undefined || leader === undefined || leader < 0) continue;
      const list = byLeader.get(leader);
      if (list === undefined) byLeader.set(leader, [state]);
      else list.push(state);
    }
    await Promise.all(
      [...byLeader].map(async ([leader, states]) => {
        const topics = new Map<string, { topicId: string; partitions: { partition: number; fetchOffset: bigint; currentLeaderEpoch: number; lastFetchedEpoch: number; partitionMaxBytes: number }[] }>();
        const idToTopic = new Map<string, string>();
        for (const s of states) {
          const id = metadata.topics.get(s.topic)!.id;
          idToTopic.set(id, s.topic);
          let t = topics.get(id);
          if (t === undefined) topics.set(id, (t = { topicId: id, partitions: [] }));
          t.partitions.push({ partition: s.partition, fetchOffset: s.next, currentLeaderEpoch: -1, lastFetchedEpoch: -1, partitionMaxBytes: 1_048_576 });
        }
        const response = await this.#fetcher!.fetch({ node: leader, topics: [...topics.values()], maxWaitTime: this.#maxWaitMs, isolationLevel: this.#isolationLevel });
        if (signal.aborted) return;
        await this.#handle(response, idToTopic, signal);
      }),
    );
  }

  /**
   * Hands each partition's records to the sink. The partitions are accepted
   * concurrently, so their store writes share one group commit (one fsync)
   * instead of waiting for one each in turn; within a partition the order
   * stays, as one accept covers the whole batch. Every accept settles before
   * this returns, so the next fetch starts from positions that are final.
   */
  async #handle(response: FetchResponse, idToTopic: ReadonlyMap<string, string>, signal: AbortSignal): Promise<void> {
    const accepts: Promise<void>[] = [];
    for (const topicResponse of response.responses) {
      const topic = idToTopic.get(topicResponse.topicId);
      if (topic === undefined) continue;
      const route = this.#routes.get(topic)!;
      for (const p of topicResponse.partitions) {
        const state = this.#partitions.get(`${topic}/${p.partitionIndex}`);
        if (state === undefined) continue; // revoked while the fetch was in flight
        accepts.push(this.#handlePartition(p, state, route, signal));
      }
    }
    const settled = await Promise.allSettled(accepts);
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
    if (failed !== undefined) throw failed.reason;
  }

  async #handlePartition(p: FetchedPartition, state: PartitionState, route: KafkaIngressSpec["topics"][number], signal: AbortSignal): Promise<void> {
    const topic = state.topic;
    if (p.errorCode === OFFSET_OUT_OF_RANGE) {
      const where = this.#spec.autoOffsetResetPosition;
      const before = state.next;
      await this.#seek([state], where === "earliest" ? ListOffsetTimestamps.EARLIEST : ListOffsetTimestamps.LATEST);
      this.#logger.warn(
        { topic, partition: p.partitionIndex, offset: String(before), resetTo: String(state.next) },
        `offset out of range; reset to ${where} (autoOffsetResetPosition)`,
      );
      return;
    }
    if (p.records === undefined || p.records.length === 0) return;
    const requested = state.next;
    const read = committedRecords(p, requested, this.#isolationLevel === FetchIsolationLevels.READ_COMMITTED);
    const next = read.next;
    const messages: RoutedMessage[] = [];
    const source = { ingress: this.id, topic, partition: p.partitionIndex, route, checkTarget: (target: Address, argument: TypedValue) => this.#sink!.checkTarget(target, argument), logger: this.#logger };
    for (const { offset, record } of read.records) {
      const routed = routeIngressRecord(source, offset, record.key, record.value, messages);
      if (routed.keyless) this.#keyless++;
      this.#rejected += routed.rejected;
    }
    if (next === requested) return;
    if (messages.length === 0) {
      // Only markers or skipped records: nothing to store, and re-reading them after a crash is harmless.
      state.next = next;
      return;
    }
    if (signal.aborted) return;
    await this.#sink!.accept(messages, { ingress: this.id, partition: state.key, next: String(next) });
    state.next = next;
    this.#commitLater(state);
  }

  /** Commits group offsets to Kafka for monitoring; one commit in flight, the newest offsets win. */
  #commitLater(state: PartitionState): void {
    this.#toCommit.set(state.key, state);
    if (this.#commitInFlight) return;
    this.#commitInFlight = true;
    setTimeout(() => {
      const offsets = [...this.#toCommit.values()].map((s) => ({ topic: s.topic, partition: s.partition, offset: s.next, leaderEpoch: -1 }));
      this.#toCommit.clear();
      const consumer = this.#consumer;
      if (consumer === undefined) {
        this.#commitInFlight = false;
        return;
      }
      consumer.commit({ offsets }).then(
        () => {
          this.#commitInFlight = false;
        },
        (error: unknown) => {
          this.#commitInFlight = false;
          this.#logger.debug({ err: describeError(error) }, "committing group offsets for monitoring failed (positions are in Eddy's store)");
        },
      );
    }, 200).unref();
  }
}

function groupByTopic(states: readonly PartitionState[]): GroupAssignment[] {
  const byTopic = new Map<string, number[]>();
  for (const s of states) {
    const list = byTopic.get(s.topic);
    if (list === undefined) byTopic.set(s.topic, [s.partition]);
    else list.push(s.partition);
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
}
