import { hostname } from "node:os";
import { Admin, Consumer } from "@platformatic/kafka";
import type { ExtendedGroupProtocolSubscription, GroupAssignment, GroupPartitionsAssignments } from "@platformatic/kafka";
import { EddyError } from "@eddy/sdk";
import type { Address, TypedValue } from "@eddy/sdk";
import type { TargetProblem } from "../model/ingress.js";
import type { KafkaIngressSpec } from "../config/index.js";
import type { Logger } from "../log/logger.js";
import type { PartitionPlacement, PlacementHost } from "../runtime/partition-placement.js";
import type { SpecRegistry } from "../store/spec-registry.js";
import { closeQuietly, describeError, kafkaErrorIds, retryDelay } from "../io/kafka/kafka-common.js";
import type { ClusterSettings } from "./cluster-settings.js";
import type { ClusterTopics } from "./cluster-topics.js";
import { clusterGroup, clusterTopics, ensureClusterTopics } from "./cluster-topics.js";
import { IngressSource } from "./ingress-source.js";
import { SharedFetch } from "./shared-fetch.js";
import type { StreamIngress } from "./stream-ingress.js";
import { KafkaRouter } from "./kafka-router.js";
import { PartitionCache } from "./partition-cache.js";
import { PartitionTask } from "./partition-task.js";
import type { LocalCache } from "./partition-task.js";
import { tombstoneRetentionMs } from "./tombstone-retention.js";
import { decodeMemberReport, encodeMemberReport } from "./member-report.js";
import { stickyAssignment } from "./sticky-assignment.js";
import { GroupOffsets } from "./group-offsets.js";
import type { GroupGeneration } from "./group-offsets.js";
import { fencedByGroup, WorkerTransactions } from "./worker-transactions.js";
import { Backoff } from "../retry/backoff.js";
import { sleep } from "../retry/sleep.js";


export interface ClusterPlacementOptions {
  readonly settings: ClusterSettings;
  readonly logger: Logger;
  readonly specs: SpecRegistry;
  /** Kafka egresses whose records go into the partitions' transactions. */
  readonly kafkaEgresses: ReadonlySet<string>;
  readonly ingresses: readonly KafkaIngressSpec[];
  /** Ingresses with readers of their own (Kinesis), run in the partition tasks that own their streams. */
  readonly streamIngresses: readonly StreamIngress[];
  readonly checkTarget: (target: Address, argument: TypedValue) => TargetProblem | undefined;
  /** moduleDigest() of this worker's module file: every worker of a cluster must run the same. */
  readonly moduleDigest: string;
}


/** Backoff steps skipped before a partition's first retry (so it starts at about 0.5-1 s). */
const BACKOFF_HEAD_START = 3;
/** Failed opens of a partition in a row that are logged as warnings before they are logged as errors. */
const OPEN_FAILURES_BEFORE_ERROR = 3;

/**
 * The cluster mode's placement: this worker joins the consumer group
 * `eddy.<cluster>` on the log topic; Kafka assigns it log partitions, and it
 * runs one PartitionTask per assigned partition. A new assignment closes the
 * revoked partitions (committing what they finished) and opens the new ones;
 * partitions kept run on undisturbed (the leader's assignment is sticky).
 * The worker has one transactional producer (WorkerTransactions) whose
 * transactions carry all its partitions' work and commit their watermarks to
 * the group with the generation in which Eddy was given them, so the group
 * coordinator refuses the transactions of a worker the group has moved past
 * (KIP-447). The client's group hooks are events only (nothing waits for a
 * revoked partition to stop before its new owner starts), so a partition that
 * moves away is dropped here at once (its uncommitted work is redone by the new
 * owner), and partitions are kept across a rebalance only when this worker
 * took part in every generation in between (the next generation, same member);
 * otherwise all of them restore.
 *
 * Every partition is handled on its own: a partition that is slow to close or
 * fails to open never holds up another one.
 */
export class ClusterPlacement implements PartitionPlacement {
  readonly router: KafkaRouter;
  readonly topics: ClusterTopics;
  readonly #o: ClusterPlacementOptions;
  readonly #log: Logger;
  /** The partitions' tasks, opening or running. */
  readonly #tasks = new Map<number, PartitionTask>();
  /** A revoked or failed partition's close; its next task opens after it. */
  readonly #closing = new Map<number, Promise<void>>();
  /** Backoff of partitions whose opening or transactions failed; reset once a task runs. */
  readonly #backoff = new Map<number, Backoff>();
  #assigned = new Set<number>();
  #generation = -1;
  #memberId = "";
  /** A join whose generation does not follow the last one seen (or with another member id): no partition can be kept. */
  #discontinuous = false;
  #transactions: WorkerTransactions | undefined;
  #offsets: GroupOffsets | undefined;
  /** Heartbeats started so far: a heartbeat that started after a fence and succeeded confirms this worker's generation. */
  #heartbeatsStarted = 0;
  /** Fenced partitions waiting for that confirmation, with the heartbeat count at their fence. */
  readonly #fenced = new Map<number, number>();
  #membership: Consumer | undefined;
  #host: PlacementHost | undefined;
  readonly #abort = new AbortController();
  readonly #ingressConsumer: Consumer;
  /** The reads of every log and ingress source partition this worker holds, one Fetch per broker. */
  readonly #reads: SharedFetch;
  #sources: IngressSource[] = [];
  #cache: LocalCache | undefined;
  /** This worker as the others name it, and when it started: of two workers with different modules, the later one is refused. */
  readonly #worker = `host ${hostname()} pid ${process.pid}`;
  readonly #since = Date.now();
  /** Partitions open only once this worker's module was found to match the others'. */
  #moduleChecked = false;

  constructor(options: ClusterPlacementOptions) {
    this.#o = options;
    const s = options.settings;
    this.topics = clusterTopics(s.cluster, s.partitions ?? 32);
    this.#log = options.logger.child({ cluster: s.cluster });
    this.router = new KafkaRouter(this.topics, s.brokers, `eddy-${s.cluster}-router`);
    this.#ingressConsumer = new Consumer({ clientId: `eddy-${s.cluster}-ingress`, groupId: `${clusterGroup(s.cluster)}.ingress`, bootstrapBrokers: s.brokers, retries: 3, retryDelay });
    this.#reads = new SharedFetch(this.#ingressConsumer, `eddy-${s.cluster}-reads`);
  }

  /** The partitions this worker processes now. */
  get held(): number[] {
    return [...this.#tasks.entries()].filter(([, t]) => t.running).map(([p]) => p).sort((a, b) => a - b);
  }

  holds(partition: number): boolean {
    return this.#assigned.has(partition);
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
    // Before the broker is asked anything: an ingress the module cannot serve, or a data directory that is not usable, is refused at once.
    for (const ingress of this.#o.streamIngresses) {
      const problem = ingress.problem(this.#o.checkTarget);
      if (problem !== undefined) throw problem;
    }
    if (s.dataDir !== undefined) this.#cache = { store: new PartitionCache(s.dataDir, this.#log), tombstoneRetentionMs: 0 };
    await this.#untilBrokerAnswers("create or check the cluster topics", () =>
      ensureClusterTopics(this.topics, { brokers: s.brokers, replicationFactor: s.replicationFactor ?? 1, logger: this.#log }),
    );
    await this.#untilBrokerAnswers("read the cluster's members", () => this.#checkModule(undefined));
    if (s.dataDir !== undefined) await this.#readTombstoneRetention();
    const sessionTimeout = s.sessionTimeoutMs ?? 6_000;
    // Members rejoin on their next heartbeat, at once (nothing is revoked before rejoining), so the coordinator
    // needs to wait little for them; a JoinGroup is answered within this time, so the request may not time out sooner.
    const rebalanceTimeout = Math.max(sessionTimeout, 10_000);
    // Not in the client's option types, but passed on to its connections (their default is 30 s).
    const connection = { requestTimeout: rebalanceTimeout + 10_000 };
    const membership = new Consumer({
      clientId: `eddy-${s.cluster}-member`,
      groupId: clusterGroup(s.cluster),
      bootstrapBrokers: s.brokers,
      sessionTimeout,
      rebalanceTimeout,
      heartbeatInterval: Math.max(100, Math.floor(sessionTimeout / 10)),
      retries: 5,
      retryDelay,
      ...connection,
    });
    this.#membership = membership;
    const offsets = new GroupOffsets(membership, clusterGroup(s.cluster), `eddy-${s.cluster}-offsets`);
    this.#offsets = offsets;
    const transactions = new WorkerTransactions({ topics: this.topics, brokers: s.brokers, timeoutMs: s.transactionTimeoutMs ?? 10_000, offsets, group: membership, logger: this.#log });
    this.#transactions = transactions;
    membership.on("consumer:group:join", (payload: { generationId: number; memberId: string; assignments: GroupAssignment[] }) => {
      const mine = new Set<number>();
      for (const a of payload.assignments) if (a.topic === this.topics.log) for (const p of a.partitions) mine.add(p);
      this.#log.info({ generation: payload.generationId, member: payload.memberId, partitions: [...mine].sort((a, b) => a - b) }, `group generation ${payload.generationId}: ${mine.size} partitions assigned to this worker`);
      // A generation this worker did not take part in may have given its partitions to another worker, who committed
      // work on them: nothing this worker holds in memory for them can be trusted then.
      if (payload.generationId !== this.#generation + 1 || payload.memberId !== this.#memberId) this.#discontinuous = true;
      this.#generation = payload.generationId;
      this.#memberId = payload.memberId;
      this.#assigned = mine;
      // Synchronously with the reconcile below: no transaction collected from now on carries a partition that moved.
      transactions.generation = { generation: payload.generationId, memberId: payload.memberId };
      if (this.#moduleChecked) this.#reconcile();
    });
    // The client gives up rejoining after its retries and says so only with this event; the worker must not stay outside its group.
    membership.on("error", (error: unknown) => {
      if (this.#abort.signal.aborted) return;
      this.#log.warn({ err: describeError(error) }, "lost the consumer group membership; rejoining");
      void this.#join(membership);
    });
    membership.on("consumer:heartbeat:start", () => this.#heartbeatsStarted++);
    membership.on("consumer:heartbeat:end", () => this.#confirmed());
    membership.topics.trackAll(this.topics.log);
    await this.#join(membership);
    try {
      // Again as a member: a worker with another module may have joined since the first look.
      await this.#untilBrokerAnswers("read the cluster's members", () => this.#checkModule(membership.memberId ?? undefined));
    } catch (error) {
      this.#abort.abort();
      await new Promise<void>((resolve) => membership.leaveGroup(true, () => resolve()));
      await closeQuietly(membership);
      await this.#cache?.store.close();
      throw error;
    }
    await transactions.start();
    this.#log.info({ transactionalId: transactions.transactionalId }, `this worker's transactions: ${transactions.transactionalId}, fenced by the generation of consumer group ${clusterGroup(s.cluster)}`);
    this.#moduleChecked = true;
    this.#reconcile();
  }

  /**
   * Refuses to run a module file other than the cluster's: before joining,
   * any member with another module refuses this worker; once joined, of two
   * workers with different modules the one that started later is refused
   * (the other sees it as the later one and goes on).
   */
  async #checkModule(self: string | undefined): Promise<void> {
    const s = this.#o.settings;
    const admin = new Admin({ clientId: `eddy-${s.cluster}-admin`, bootstrapBrokers: s.brokers, retries: 2, retryDelay });
    try {
      const group = (await admin.describeGroups({ groups: [clusterGroup(s.cluster)] })).get(clusterGroup(s.cluster));
      for (const [id, member] of group?.members ?? []) {
        if (id === self) continue;
        const other = decodeMemberReport(member.metadata?.metadata as Buffer | undefined);
        if (other.module === "" || other.module === this.#o.moduleDigest) continue;
        if (self !== undefined && (other.since > this.#since || (other.since === this.#since && other.worker > this.#worker))) continue;
        throw new EddyError(
          "EDDY_CONFIG_INVALID",
          `this worker (${this.#worker}) runs a different module file than worker ${other.worker} of cluster "${s.cluster}" (module fingerprints ${this.#o.moduleDigest.slice(0, 12)} and ${other.module.slice(0, 12)}): every worker of a cluster runs the same module file (only the playground ingress port may differ); start this worker with the others' file, or stop them all before changing it`,
        );
      }
    } finally {
      await admin.close().catch(() => undefined);
    }
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    this.#assigned = new Set();
    const tasks = [...this.#tasks.values()];
    this.#tasks.clear();
    await Promise.allSettled([...tasks.map((t) => t.flushAndClose(5_000)), ...this.#closing.values()]);
    await this.#transactions?.close();
    await this.#offsets?.close();
    if (this.#membership !== undefined) {
      const membership = this.#membership;
      // Leaving at once hands the partitions over without waiting out the session timeout.
      await new Promise<void>((resolve) => membership.leaveGroup(true, () => resolve()));
      await closeQuietly(membership);
    }
    await this.#reads.close();
    await closeQuietly(this.#ingressConsumer);
    await this.router.close();
    await this.#cache?.store.close();
  }

  /** How old the local cache may be (see LocalCache), from the changelog topic's delete.retention.ms. */
  async #readTombstoneRetention(): Promise<void> {
    const store = this.#cache!.store;
    let retentionMs = 0;
    await this.#untilBrokerAnswers("read the changelog's delete.retention.ms", async () => {
      retentionMs = await tombstoneRetentionMs(this.topics.changelog, this.#o.settings.brokers, `eddy-${this.topics.cluster}-admin`);
    });
    this.#cache = { store, tombstoneRetentionMs: retentionMs };
    this.#log.info(
      { dataDir: store.path, tombstoneRetentionMs: retentionMs },
      `local cache in ${store.path}: a partition restores from it and the changelog after its offset (it may be deleted at any time: it is rebuilt from Kafka)`,
    );
  }

  /** Joins (or rejoins) the group, retrying with backoff while the coordinator is not there yet (a fresh broker creates it on first use). */
  async #join(membership: Consumer): Promise<void> {
    await this.#untilBrokerAnswers("join the consumer group", () =>
      membership.joinGroup({
        protocols: [this.#protocol()],
        partitionAssigner: (_leader: string, members: Map<string, ExtendedGroupProtocolSubscription>) => this.#assign(members),
      }),
    );
  }

  /** The group protocol: its metadata (read at every join, rejoins too) says which partitions this worker runs. */
  #protocol(): { name: string; version: number; readonly metadata: Buffer } {
    const owned = (): Buffer => encodeMemberReport({ owned: [...this.#assigned], module: this.#o.moduleDigest, worker: this.#worker, since: this.#since });
    return {
      name: "eddy-sticky",
      version: 1,
      get metadata(): Buffer {
        return owned();
      },
    };
  }

  #assign(members: Map<string, ExtendedGroupProtocolSubscription>): GroupPartitionsAssignments[] {
    const owned = new Map<string, number[]>();
    for (const [id, m] of members) owned.set(id, [...decodeMemberReport(m.metadata as Buffer | undefined).owned]);
    const shares = stickyAssignment(owned, this.topics.partitions);
    return [...shares].map(([memberId, partitions]) => ({ memberId, assignments: new Map([[this.topics.log, { topic: this.topics.log, partitions }]]) }));
  }

  async #untilBrokerAnswers(what: string, attempt: () => Promise<unknown>): Promise<void> {
    const brokers = this.#o.settings.brokers.join(",");
    const backoff = new Backoff();
    for (;;) {
      try {
        await attempt();
        return;
      } catch (error) {
        if (this.#abort.signal.aborted || !retryableAtStart(error)) throw error;
        const delay = backoff.next();
        this.#log.warn({ err: describeError(error), brokers, retryInMs: delay }, `cannot ${what} on the Kafka cluster at ${brokers}; retrying in ${delay} ms (nothing is started until it answers)`);
        await sleep(delay, this.#abort.signal);
        if (this.#abort.signal.aborted) throw error;
      }
    }
  }

  /**
   * Brings the tasks in line with the assignment: drops the revoked ones (their uncommitted work cannot be
   * committed any more: the group is at a generation that does not give them to this worker), opens the new ones.
   * After a generation this worker missed, every task is dropped and the assigned ones restore.
   */
  #reconcile(): void {
    const discontinuous = this.#discontinuous;
    this.#discontinuous = false;
    for (const [p, task] of this.#tasks) {
      if (this.#assigned.has(p) && !discontinuous) continue;
      this.#tasks.delete(p);
      this.#backoff.delete(p);
      const why = this.#assigned.has(p) ? `this worker missed a generation before ${this.#generation}: restored again` : "revoked";
      this.#closeTask(task, task.running ? `partition ${p} ${why}: its uncommitted work dropped, closed` : `partition ${p} ${why} while it was being opened: closed`, true);
    }
    this.#fenced.clear();
    for (const p of this.#assigned) if (!this.#tasks.has(p)) this.#open(p);
  }

  /** A heartbeat succeeded: the generation this worker acts on is current, so its fenced partitions are still its own. */
  #confirmed(): void {
    for (const [p, startedBefore] of this.#fenced) {
      // The heartbeat that just ended is the latest one started (the client runs one at a time).
      if (this.#heartbeatsStarted <= startedBefore) continue;
      this.#fenced.delete(p);
      if (this.#assigned.has(p)) {
        this.#log.info({ partition: p, generation: this.#generation }, `partition ${p}: the group still assigns it here (generation ${this.#generation}); reopening it`);
        this.#open(p);
      }
    }
  }

  /**
   * Closes a task, dropping its uncommitted work (a handover also brings the local cache up to the changelog); the
   * partition's next task waits for it.
   */
  #closeTask(task: PartitionTask, closedLine: string | undefined, handOver = false): void {
    const p = task.partition;
    const previous = this.#closing.get(p) ?? Promise.resolve();
    const closing = previous
      .then(() => (handOver && task.running ? task.handOver(2_000) : task.close()))
      .then(() => {
        if (closedLine !== undefined) this.#log.info({ partition: p }, closedLine);
      });
    this.#closing.set(p, closing);
    void closing.then(() => {
      if (this.#closing.get(p) === closing) this.#closing.delete(p);
    });
  }

  #open(partition: number): void {
    if (this.#abort.signal.aborted || !this.#assigned.has(partition) || this.#tasks.has(partition)) return;
    const s = this.#o.settings;
    const task = new PartitionTask({
      partition,
      topics: this.topics,
      brokers: s.brokers,
      specs: this.#o.specs,
      kafkaEgresses: this.#o.kafkaEgresses,
      ingressSources: this.#sources,
      reads: this.#reads,
      streamIngresses: this.#o.streamIngresses,
      checkTarget: this.#o.checkTarget,
      host: this.#host!,
      logger: this.#log,
      transactions: this.#transactions!,
      offsets: this.#offsets!,
      ...(this.#cache === undefined ? {} : { cache: this.#cache }),
      onFailed: (failed, error, generation) => this.#failed(failed, error, generation),
      // Not on opening: a partition whose every transaction fails (a record the broker refuses) opens fine each
      // time, and would retry at the first delay forever.
      onCommitted: (committed) => {
        if (this.#tasks.get(partition) === committed) this.#backoff.delete(partition);
      },
    });
    this.#tasks.set(partition, task);
    const previous = this.#closing.get(partition) ?? Promise.resolve();
    void previous
      .then(() => task.start())
      .catch((error: unknown) => {
        if (this.#tasks.get(partition) !== task) return; // revoked meanwhile: its close is under way
        this.#tasks.delete(partition);
        this.#closeTask(task, undefined);
        const delay = this.#retryDelay(partition);
        // A fresh broker's transaction coordinator refuses for a moment (NOT_COORDINATOR,
        // COORDINATOR_LOAD_IN_PROGRESS): a warning, and an error only once opening keeps failing.
        const failures = this.#backoff.get(partition)!.attempts - BACKOFF_HEAD_START;
        const level = failures > OPEN_FAILURES_BEFORE_ERROR ? "error" : "warn";
        this.#log[level](
          { partition, err: describeError(error), retryInMs: delay, failures },
          `partition ${partition} could not be opened (waiting for its previous owner or restoring failed); retrying in ${delay} ms`,
        );
        this.#reopenLater(partition, delay);
      });
  }

  #failed(task: PartitionTask, error: unknown, generation: GroupGeneration): void {
    const p = task.partition;
    if (this.#tasks.get(p) !== task) return;
    this.#tasks.delete(p);
    this.#closeTask(task, undefined);
    if (fencedByGroup(error) && generation.generation === this.#generation) {
      // The group has moved past the generation this worker acts in (it was cut off longer than the session timeout,
      // or a rebalance is under way): the partition reopens here only after a heartbeat started since then succeeds,
      // or when a new assignment includes it.
      this.#log.warn(
        { partition: p, generation: generation.generation, err: describeError(error) },
        `partition ${p}: the worker's transaction of generation ${generation.generation} was fenced by the group (${describeError(error)}); its uncommitted work is dropped; it reopens here only if the group's next answer still assigns it here`,
      );
      this.#fenced.set(p, this.#heartbeatsStarted);
      return;
    }
    const delay = this.#retryDelay(p);
    this.#log.warn({ partition: p, err: describeError(error), retryInMs: delay }, `partition ${p}: a transaction failed; the partition is restored from Kafka and resumed in ${delay} ms`);
    this.#reopenLater(p, delay);
  }

  #retryDelay(partition: number): number {
    let backoff = this.#backoff.get(partition);
    if (backoff === undefined) {
      backoff = new Backoff();
      // Start at ~0.5-1 s: the partition's previous producer must be fenced or its failure pass.
      for (let i = 0; i < BACKOFF_HEAD_START; i++) backoff.next();
      this.#backoff.set(partition, backoff);
    }
    return backoff.next();
  }

  #reopenLater(partition: number, delay: number): void {
    void sleep(delay, this.#abort.signal).then(() => this.#open(partition));
  }
}

/**
 * Errors worth waiting out at start: the broker not reachable yet (the client's network and
 * timeout errors, or Node's connection errors), or its group coordinator not loaded yet.
 */
const RETRYABLE_AT_START = ["PLT_KFK_NETWORK", "ECONNREFUSED", "ETIMEDOUT", "ENOTFOUND", "EHOSTUNREACH", "ECONNRESET", "COORDINATOR_NOT_AVAILABLE", "NOT_COORDINATOR", "COORDINATOR_LOAD_IN_PROGRESS"];

function retryableAtStart(error: unknown): boolean {
  if ((error as { retryable?: boolean }).retryable === true) return true;
  const ids = kafkaErrorIds(error);
  return RETRYABLE_AT_START.some((id) => ids.has(id));
}
