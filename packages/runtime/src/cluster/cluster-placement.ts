import { Consumer } from "@platformatic/kafka";
import type { GroupAssignment } from "@platformatic/kafka";
import type { Address, TypedValue } from "@eddy/sdk";
import type { KafkaIngressSpec } from "../config/index.js";
import type { Logger } from "../log/logger.js";
import type { PartitionPlacement, PlacementHost } from "../runtime/partition-placement.js";
import type { SpecRegistry } from "../store/spec-registry.js";
import { Backoff, closeQuietly, describeError, retryDelay, sleep } from "../io/kafka/kafka-common.js";
import type { ClusterSettings } from "./cluster-settings.js";
import type { ClusterTopics } from "./cluster-topics.js";
import { clusterGroup, clusterTopics, ensureClusterTopics } from "./cluster-topics.js";
import { IngressSource } from "./ingress-source.js";
import { KafkaRouter } from "./kafka-router.js";
import { PartitionTask } from "./partition-task.js";


export interface ClusterPlacementOptions {
  readonly settings: ClusterSettings;
  readonly logger: Logger;
  readonly specs: SpecRegistry;
  /** Kafka egresses whose records go into the partitions' transactions. */
  readonly kafkaEgresses: ReadonlySet<string>;
  readonly ingresses: readonly KafkaIngressSpec[];
  readonly checkTarget: (target: Address, argument: TypedValue) => string | undefined;
}

/**
 * The cluster mode's placement: this worker joins the consumer group
 * `eddy.<cluster>` on the log topic; Kafka assigns it log partitions, and it
 * runs one PartitionTask per assigned partition. An assignment that changes
 * closes the revoked partitions (committing what they finished) and opens
 * the new ones. The client's group hooks are events only (nothing waits for a
 * revoked partition to stop before its new owner starts), so safety comes
 * from the partition producers' transactional ids, not from the group: a new
 * owner's producer fences the old one before it restores.
 */
export class ClusterPlacement implements PartitionPlacement {
  readonly router: KafkaRouter;
  readonly topics: ClusterTopics;
  readonly #o: ClusterPlacementOptions;
  readonly #log: Logger;
  readonly #tasks = new Map<number, PartitionTask>();
  readonly #opening = new Map<number, Promise<void>>();
  #assigned = new Set<number>();
  #membership: Consumer | undefined;
  #host: PlacementHost | undefined;
  readonly #abort = new AbortController();
  #reconciling: Promise<void> = Promise.resolve();
  readonly #ingressConsumer: Consumer;
  #sources: IngressSource[] = [];

  constructor(options: ClusterPlacementOptions) {
    this.#o = options;
    const s = options.settings;
    this.topics = clusterTopics(s.cluster, s.partitions ?? 32);
    this.#log = options.logger.child({ cluster: s.cluster });
    this.router = new KafkaRouter(this.topics, s.brokers, `eddy-${s.cluster}-router`);
    this.#ingressConsumer = new Consumer({ clientId: `eddy-${s.cluster}-ingress`, groupId: `${clusterGroup(s.cluster)}.ingress`, bootstrapBrokers: s.brokers, retries: 3, retryDelay });
  }

  /** The partitions this worker processes now. */
  get held(): number[] {
    return [...this.#tasks.keys()].sort((a, b) => a - b);
  }

  describe(): string {
    return `cluster ${this.topics.cluster}: ${this.topics.partitions} partitions (${this.topics.log}, ${this.topics.changelog}), shared through consumer group ${clusterGroup(this.topics.cluster)}`;
  }

  async start(host: PlacementHost): Promise<void> {
    this.#host = host;
    const s = this.#o.settings;
    // The module's components are bound after this placement was built, so the ingresses are known only now.
    this.#sources = this.#o.ingresses.map(
      (spec) => new IngressSource({ spec, consumer: this.#ingressConsumer, partitions: this.topics.partitions, logger: this.#o.logger, checkTarget: this.#o.checkTarget }),
    );
    const backoff = new Backoff();
    for (;;) {
      try {
        await ensureClusterTopics(this.topics, { brokers: s.brokers, replicationFactor: s.replicationFactor ?? 1, logger: this.#log });
        break;
      } catch (error) {
        if ((error as { retryable?: boolean }).retryable !== true && !/ECONNREFUSED|ETIMEDOUT|ENOTFOUND|Connection|connect/i.test(describeError(error))) throw error;
        const delay = backoff.next();
        this.#log.warn({ err: describeError(error), brokers: s.brokers, retryInMs: delay }, `cannot reach the Kafka cluster at ${s.brokers.join(",")}; retrying (nothing is started until it answers)`);
        await sleep(delay, this.#abort.signal);
        if (this.#abort.signal.aborted) throw error;
      }
    }
    const sessionTimeout = s.sessionTimeoutMs ?? 6_000;
    const membership = new Consumer({
      clientId: `eddy-${s.cluster}-member`,
      groupId: clusterGroup(s.cluster),
      bootstrapBrokers: s.brokers,
      sessionTimeout,
      rebalanceTimeout: Math.max(sessionTimeout, 30_000),
      heartbeatInterval: Math.max(100, Math.floor(sessionTimeout / 10)),
      retries: 5,
      retryDelay,
    });
    this.#membership = membership;
    membership.on("consumer:group:join", (payload: { generationId: number; memberId: string; assignments: GroupAssignment[] }) => {
      const mine = new Set<number>();
      for (const a of payload.assignments) if (a.topic === this.topics.log) for (const p of a.partitions) mine.add(p);
      this.#log.info({ generation: payload.generationId, member: payload.memberId, partitions: [...mine].sort((a, b) => a - b) }, `group generation ${payload.generationId}: ${mine.size} partitions assigned to this worker`);
      this.#assigned = mine;
      this.#reconcile();
    });
    membership.topics.trackAll(this.topics.log);
    await membership.joinGroup({});
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    this.#assigned = new Set();
    await this.#reconciling;
    await Promise.allSettled([...this.#opening.values()]);
    await Promise.allSettled([...this.#tasks.values()].map((t) => t.flushAndClose(5_000)));
    this.#tasks.clear();
    if (this.#membership !== undefined) {
      const membership = this.#membership;
      await new Promise<void>((resolve) => membership.leaveGroup(false, () => resolve()));
      await closeQuietly(this.#membership);
    }
    await closeQuietly(this.#ingressConsumer);
    await this.router.close();
  }

  /** Brings the running tasks in line with the assignment; one reconciliation at a time. */
  #reconcile(): void {
    this.#reconciling = this.#reconciling.then(async () => {
      const revoked = [...this.#tasks.keys()].filter((p) => !this.#assigned.has(p));
      await Promise.allSettled(
        revoked.map(async (p) => {
          const task = this.#tasks.get(p)!;
          this.#tasks.delete(p);
          await task.flushAndClose(2_000);
          this.#log.info({ partition: p }, `partition ${p} revoked: committed and closed`);
        }),
      );
      for (const p of this.#assigned) if (!this.#tasks.has(p) && !this.#opening.has(p)) this.#open(p);
    });
  }

  #open(partition: number, attempt = 0): void {
    if (this.#abort.signal.aborted || !this.#assigned.has(partition)) return;
    const s = this.#o.settings;
    const task = new PartitionTask({
      partition,
      topics: this.topics,
      brokers: s.brokers,
      specs: this.#o.specs,
      kafkaEgresses: this.#o.kafkaEgresses,
      ingressSources: this.#sources,
      host: this.#host!,
      logger: this.#log,
      transactionTimeoutMs: s.transactionTimeoutMs ?? 10_000,
      onFailed: (failed, error, fenced) => this.#failed(failed, error, fenced),
    });
    const opening = task.start().then(
      () => {
        this.#opening.delete(partition);
        if (this.#abort.signal.aborted || !this.#assigned.has(partition)) {
          void task.close();
          this.#log.info({ partition }, `partition ${partition} revoked while it was being opened: closed`);
          return;
        }
        this.#tasks.set(partition, task);
      },
      async (error: unknown) => {
        this.#opening.delete(partition);
        await task.close();
        const delay = Math.min(500 * 2 ** attempt, 10_000);
        this.#log.error({ partition, err: describeError(error), retryInMs: delay }, `partition ${partition} could not be opened (fencing or restore failed); retrying`);
        await sleep(delay, this.#abort.signal);
        this.#open(partition, attempt + 1);
      },
    );
    this.#opening.set(partition, opening);
  }

  #failed(task: PartitionTask, error: unknown, fenced: boolean): void {
    const p = task.partition;
    if (this.#tasks.get(p) === task) this.#tasks.delete(p);
    const closing = task.close();
    if (fenced) {
      // Another worker took the partition over (this one was too slow or cut off): wait for the group to say what is ours.
      this.#log.warn({ partition: p }, `partition ${p}: this worker's producer was fenced by a newer owner; its uncommitted work is dropped`);
      this.#assigned.delete(p);
      return;
    }
    this.#log.warn({ partition: p, err: describeError(error) }, `partition ${p}: a transaction failed; the partition is restored from Kafka and resumed`);
    void closing.then(() => sleep(500, this.#abort.signal)).then(() => {
      if (!this.#tasks.has(p) && !this.#opening.has(p)) this.#open(p);
    });
  }
}
