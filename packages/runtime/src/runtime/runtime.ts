import { EddyError, formatAddress, isEddyError, isEddyModule } from "@eddy/sdk";
import type {
  Address,
  BatchOutcome,
  CustomEgress,
  CustomIngress,
  EddyModule,
  OutgoingMessage,
  RoutedMessage,
  Router,
  StateEntry,
  StatefulFunction,
  TypedValue,
} from "@eddy/sdk";
import type { Egress } from "../model/egress.js";
import { acceptRefusal } from "../model/ingress.js";
import type { AcceptOptions, AcceptedMessage, Ingress, IngressSink, InputPosition, ReplyReceiver, TargetProblem } from "../model/ingress.js";
import type { Logger } from "../log/logger.js";
import { createLogger } from "../log/logger.js";
import { RuntimeStats } from "../observability/runtime-stats.js";
import type { IoStats } from "../observability/runtime-stats.js";
import type { EndpointConcurrency } from "../observability/runtime-stats.js";
import type { TraceSpan, Tracing } from "../observability/tracing.js";
import { noTracing } from "../observability/tracing.js";
import type { CommitUnit, DelayedMessage, OutboxRecord } from "../model/commit-unit.js";
import { MemoryStateStore } from "../store/memory-state-store.js";
import type { StateStore } from "../store/state-store.js";
import type { AddressMailbox } from "./address-mailbox.js";
import { BackpressureGate } from "./backpressure-gate.js";
import { EgressBacklog } from "./egress-backlog.js";
import { GateAccount } from "./gate-account.js";
import type { ProcessorGate } from "./gate-account.js";
import type { Clock } from "./clock.js";
import { systemClock } from "./clock.js";
import { planCommit } from "./commit-planner.js";
import { DelayedMessageService } from "./delayed-message-service.js";
import { embeddedInvoker } from "./embedded-invoker.js";
import type { Envelope } from "../model/envelope.js";
import { addressKey, addressProblem, envelope } from "../model/envelope.js";
import type { FunctionInvoker, FunctionProvider } from "./function-invoker.js";
import { FunctionRegistry } from "./function-registry.js";
import { LocalRouter } from "./message-router.js";
import type { MessageRouter } from "./message-router.js";
import type { PartitionContext } from "./partition-context.js";
import type { PartitionPlacement, PlacementHost } from "./partition-placement.js";
import { PartitionProcessor } from "./partition-processor.js";
import type { ProcessorHost } from "./partition-processor.js";
import type { RetryPolicy } from "./retry-policy.js";
import { defaultRetryPolicy } from "./retry-policy.js";
import { QuarantinePolicy } from "./quarantine-policy.js";
import { logAddressEvent } from "./address-event.js";
import type { AddressEvent } from "./address-event.js";
import type { QuarantineRecord, StoredStateValue } from "../model/quarantine-record.js";

export interface RuntimeOptions {
  /** Partitions of the message log; each has its own processor. Default 8. */
  readonly partitions?: number;
  /** Accepted messages that may wait before ingresses are made to wait. Default 65,536. */
  readonly maxPendingMessages?: number;
  /** Records one egress may hold undelivered (its broker down, say) before ingresses are made to wait. Default 65,536. */
  readonly maxPendingEgressRecords?: number;
  readonly store?: StateStore;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly retryPolicy?: RetryPolicy;
  /**
   * Which partitions this process holds and how messages travel; default: all
   * of them, in process (the embedded mode). The cluster mode passes its own.
   */
  readonly placement?: PartitionPlacement;
  /** Failed attempts after which a message is parked, per function type (default 10 for every type). */
  readonly quarantine?: QuarantinePolicy;
  /** Passed to modules' `configure`. */
  readonly globalConfiguration?: Readonly<Record<string, string>>;
  /** Where spans go; default none (see tracingFromEnvironment). Shut down by stop(). */
  readonly tracing?: Tracing;
  /**
   * Called with each change in how an address is doing (failing, parked,
   * recovered, released, dropped), after its log line. Must not throw.
   */
  readonly onAddressEvent?: (event: AddressEvent) => void;
}

type RuntimeState = "created" | "running" | "draining" | "stopped";

/** Something started with the runtime before recovery (see `Runtime.onStart`). */
export interface StartHook {
  readonly id: string;
  start(): Promise<void>;
  /** Undoes start() when a later component fails to start; the runtime's own stop uses onStop. */
  stop(): Promise<void> | void;
  describe(): string;
}

/**
 * One Eddy runtime: a log of messages partitioned by target address, one
 * partition processor per partition, the function bindings, the state store,
 * delayed messages, ingresses and egresses.
 *
 * @example
 * const runtime = new Runtime();
 * runtime.bindFunction(greeter);
 * runtime.bindEgress(new PlaygroundEgress({ port: 8091, topics: ["greetings"] }));
 * await runtime.start();
 * await runtime.send(address("apache/greeter", "Bob"), { typename: "apache/GreetRequest", value: bytes });
 */
export class Runtime {
  readonly functions = new FunctionRegistry();
  readonly store: StateStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Counters of invocations, messages, commits, ingresses and egresses (read by the metrics exporter). */
  readonly stats = new RuntimeStats();
  readonly tracing: Tracing;
  readonly #partitionCount: number;
  /** The partitions this process holds, by number: all of them in the embedded mode, from start() to stop(). */
  readonly #contexts = new Map<number, PartitionContext>();
  readonly #router: MessageRouter;
  readonly #placement: PartitionPlacement | undefined;
  readonly #retryPolicy: RetryPolicy;
  readonly #quarantine: QuarantinePolicy;
  readonly #onAddressEvent: ((event: AddressEvent) => void) | undefined;
  readonly #egresses = new Map<string, Egress>();
  readonly #ingresses: Ingress[] = [];
  readonly #routers = new Map<string, Router[]>();
  readonly #gate: BackpressureGate;
  readonly #egressBacklog: EgressBacklog;
  readonly #globalConfiguration: Readonly<Record<string, string>>;
  #state: RuntimeState = "created";
  /** Why the runtime is not ready yet (undefined once ready); /readyz answers it. */
  #notReady: string | undefined = "not started";
  readonly #stopHooks: (() => void | Promise<void>)[] = [];
  readonly #sources = new Map<Ingress | Egress | StartHook, string>();
  readonly #startHooks: StartHook[] = [];
  /** The store failure last reported, so a stopped store is logged once, not once per refused request. */
  #storeFailure: EddyError | undefined;
  readonly #endpointSources: (() => readonly EndpointConcurrency[])[] = [];
  readonly #replyReceivers = new Map<string, ReplyReceiver>();
  #egressFailures = 0;

  constructor(options: RuntimeOptions = {}) {
    const partitions = options.partitions ?? 8;
    if (!Number.isInteger(partitions) || partitions < 1) {
      throw new EddyError("EDDY_CONFIG_INVALID", `partitions must be an integer ≥ 1, got ${partitions}`);
    }
    this.store = options.store ?? new MemoryStateStore();
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? createLogger();
    this.tracing = options.tracing ?? noTracing;
    this.#gate = new BackpressureGate(options.maxPendingMessages ?? 65_536);
    this.#egressBacklog = new EgressBacklog(options.maxPendingEgressRecords ?? 65_536, this.#gate, this.logger);
    this.#globalConfiguration = options.globalConfiguration ?? {};
    this.#partitionCount = partitions;
    this.#retryPolicy = options.retryPolicy ?? defaultRetryPolicy;
    this.#placement = options.placement;
    this.#router = options.placement?.router ?? new LocalRouter(partitions, this.#contexts, this.store);
    this.#quarantine = options.quarantine ?? new QuarantinePolicy();
    this.#onAddressEvent = options.onAddressEvent;
  }

  // ---- binding -------------------------------------------------------------

  /** Binds an embedded TypeScript function to its type. */
  bindFunction(fn: StatefulFunction, options: { maxBacklog?: number; source?: string } = {}): void {
    const invoker = embeddedInvoker(fn, options.maxBacklog ?? 0);
    this.bindInvoker(fn.typename, () => invoker, options.source);
  }

  /** Binds a function pattern (`ns/name` or `ns/*`) to a provider of invokers. */
  bindInvoker(pattern: string, provider: FunctionProvider, source?: string): void {
    this.#assertNotStarted("bind functions");
    this.functions.bind(
      pattern,
      (type) => {
        const invoker = provider(type);
        const conflicts = this.store.registerSpecs(type, invoker.stateSpecs);
        if (conflicts.length > 0) {
          throw new EddyError(
            "EDDY_TYPE_MISMATCH",
            `${type} declares state "${conflicts[0]!.name}" with a type other than the registered one`,
          );
        }
        return invoker;
      },
      source,
    );
  }

  /** `source` says where the egress was configured (a file and line), for errors while it starts. */
  bindEgress(egress: Egress, options: { source?: string } = {}): void {
    this.#assertNotStarted("bind egresses");
    if (this.#egresses.has(egress.id)) {
      throw new EddyError("EDDY_CONFIG_INVALID", `egress "${egress.id}" is bound twice`);
    }
    this.#egresses.set(egress.id, egress);
    if (options.source !== undefined) this.#sources.set(egress, options.source);
  }

  /** `source` says where the ingress was configured (a file and line), for errors while it starts. */
  bindIngress(ingress: Ingress, options: { source?: string } = {}): void {
    this.#assertNotStarted("bind ingresses");
    this.#ingresses.push(ingress);
    if (options.source !== undefined) this.#sources.set(ingress, options.source);
  }

  /** Routes records of a custom ingress to functions. */
  bindIngressRouter(ingressId: string, router: Router): void {
    const routers = this.#routers.get(ingressId) ?? [];
    routers.push(router);
    this.#routers.set(ingressId, routers);
  }

  /** Applies a module: the seed's Module / Binder in TypeScript. */
  bindModule(module: EddyModule): void {
    if (!isEddyModule(module)) throw new EddyError("EDDY_CONFIG_INVALID", "not an Eddy module (use defineModule)");
    module.configure(
      {
        bindFunction: (fn) => this.bindFunction(fn),
        bindIngress: (id, ingress) => this.bindIngress(customIngress(id, ingress, this)),
        bindIngressRouter: (id, router) => this.bindIngressRouter(id, router),
        bindEgress: (id, egress) => this.bindEgress(customEgress(id, egress)),
      },
      this.#globalConfiguration,
    );
  }

  // ---- lifecycle -----------------------------------------------------------

  /**
   * Runs `hook.start` during start(), after the egresses and before recovery:
   * for what functions need before any message reaches them (a co-located
   * process), since recovery may invoke them at once. If a later component
   * fails to start, `hook.stop` runs. Only before start().
   */
  onStart(hook: StartHook, options: { source?: string } = {}): void {
    this.#assertNotStarted("add start hooks");
    this.#startHooks.push(hook);
    if (options.source !== undefined) this.#sources.set(hook, options.source);
  }

  /** Runs `hook` during stop(), after the last message was processed (e.g. to close connection pools). */
  onStop(hook: () => void | Promise<void>): void {
    this.#stopHooks.push(hook);
  }

  /**
   * Starts egresses, recovers from the store, then starts ingresses. When a
   * component cannot start (a port in use, a broker out of reach), the ones
   * already started are stopped again and the error names the component.
   */
  async start(): Promise<void> {
    this.#assertNotStarted("start");
    this.#state = "running";
    const started: (() => Promise<void> | void)[] = [];
    const starting = async (component: Ingress | Egress | StartHook, kind: string, start: () => Promise<void> | undefined) => {
      try {
        await start();
      } catch (cause) {
        for (const stop of started.reverse()) await Promise.resolve(stop()).catch(() => undefined);
        this.#state = "stopped";
        const source = this.#sources.get(component);
        const prefix = `${kind} ${component.id}${source === undefined ? "" : ` (${source})`}`;
        const message = cause instanceof Error ? cause.message : String(cause);
        throw new EddyError(isEddyError(cause) ? cause.code : "EDDY_CONFIG_INVALID", `${prefix}: ${message}`, {
          cause,
          retryable: isEddyError(cause) && cause.retryable,
        });
      }
      this.logger.info({ [kind]: component.id }, `${kind} ${component.id}: ${component.describe()}`);
    };
    for (const egress of this.#egresses.values()) {
      this.#notReady = `starting egress ${egress.id}`;
      const egressContext = {
        acknowledge: (ids: readonly number[]) => {
          this.#acknowledgeEgress(ids);
          this.#egressBacklog.acknowledged(egress);
        },
      };
      await starting(egress, "egress", () => egress.start?.(egressContext));
      started.push(() => egress.stop?.());
    }
    for (const hook of this.#startHooks) {
      this.#notReady = `starting ${hook.id}`;
      await starting(hook, "component", () => hook.start());
      started.push(() => hook.stop());
    }
    this.#notReady = "recovering from the store";
    if (this.#placement === undefined) {
      for (let p = 0; p < this.#partitionCount; p++) this.#contexts.set(p, this.#openPartition(p, this.store));
    } else {
      await this.#placement.start(this.#placementHost());
      this.logger.info(`partitions: ${this.#placement.describe()}`);
    }
    await this.#recover();
    for (const ingress of this.#ingresses) {
      this.#notReady = `starting ingress ${ingress.id}`;
      await starting(ingress, "ingress", () => ingress.start(this.ingressSink(ingress.id)));
      started.push(() => ingress.stop());
    }
    if (this.#state === "running") this.#notReady = undefined;
  }

  /**
   * Stops taking input, waits (up to `timeoutMs`) until every accepted message
   * has been processed, then stops ingresses, timers and egresses.
   */
  async stop(options: { timeoutMs?: number } = {}): Promise<{ drained: boolean; pending: number }> {
    if (this.#state === "stopped") return { drained: true, pending: 0 };
    const wasRunning = this.#state === "running";
    this.#state = "draining";
    this.#notReady = "draining: finishing accepted messages before stopping";
    this.#gate.close();
    for (const ingress of this.#ingresses) await ingress.stop();
    let drained = true;
    let pending = 0;
    if (wasRunning) {
      const timeoutMs = options.timeoutMs ?? 10_000;
      let timer: NodeJS.Timeout | undefined;
      drained = await Promise.race([
        this.#gate.idle().then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (!drained) {
        pending = this.pendingMessages;
        this.logger.warn(
          { pending, timeoutMs },
          "stopped before every accepted message was processed (a function kept failing or was too slow)",
        );
      }
    }
    await this.#placement?.stop();
    for (const context of this.#contexts.values()) await context.close();
    this.#contexts.clear();
    for (const egress of this.#egresses.values()) await egress.stop?.();
    for (const hook of this.#stopHooks) await hook();
    await this.store.close();
    await this.tracing.shutdown();
    this.#state = "stopped";
    this.#notReady = "stopped";
    return { drained, pending };
  }

  // ---- input ---------------------------------------------------------------

  /** The sink an ingress hands messages to; what it accepts is counted under its id. */
  ingressSink(ingressId?: string): IngressSink {
    let stats: IoStats | undefined;
    return {
      accept: (messages, position, options) => {
        const accepting = this.accept(messages, position, options);
        if (ingressId === undefined) return accepting;
        // Created on first use: lifecycle-only ingresses (co-located processes) never show up.
        stats ??= this.stats.ingress(ingressId);
        const counted = stats;
        return accepting.then(
          () => {
            counted.records += messages.length;
          },
          (error: unknown) => {
            counted.failures++;
            throw error;
          },
        );
      },
      position: (ingress, partition) => this.store.inputPosition(ingress, partition),
      checkTarget: (target, argument) => this.checkTarget(target, argument),
      receiveReplies: (replyType, receive) => this.#replyReceivers.set(replyType, receive),
    };
  }

  /** Sends one message from outside (no caller), waiting while the runtime pushes back. */
  send(target: Address, argument: TypedValue): Promise<void> {
    return this.accept([{ target, argument }]);
  }

  /**
   * Accepts messages from an ingress, in order. A message's `traceparent`
   * (while tracing is on) makes its ingress span a child of the caller's trace.
   */
  async accept(messages: readonly AcceptedMessage[], position?: InputPosition, options?: AcceptOptions): Promise<void> {
    for (const m of messages) {
      const refusal = acceptRefusal(this.#targetProblem(m.target), `message to ${formatAddress(m.target)}`);
      if (refusal !== undefined) throw refusal;
    }
    await this.#gate.enter(messages.length, undefined, options?.maxWaitMs);
    const envelopes = messages.map((m) => envelope(m.target, m.argument, m.caller));
    if (!this.#router.inProcess) {
      // The log topic holds them now; the partition's owner admits them when it reads them.
      try {
        await this.#router.log(envelopes, position);
      } finally {
        this.#gate.release(envelopes.length);
      }
      return;
    }
    const spans = this.tracing.enabled ? this.#ingressSpans(messages, envelopes) : undefined;
    const logging = this.#router.log(envelopes, position);
    // Processing starts before the log write is on disk: the store orders the
    // write before the commits that consume them (a commit in the same group
    // commit cancels it), so no effect of a message is durable before the
    // message is, and the ingress acknowledges only once the write is on disk.
    for (const m of envelopes) this.#route(m);
    if (logging !== undefined) {
      try {
        await logging;
      } catch (cause) {
        if (spans !== undefined) endSpans(spans, cause);
        // The messages are with their processors now and release the gate there: a failed log write
        // fails the store for good, so none of their commits can succeed either.
        if (isEddyError(cause, "EDDY_STORE_FAILED")) {
          // The store has stopped writing: say so once, then refuse input with its reason.
          if (this.#storeFailure !== cause) this.logger.error({ err: cause }, cause.message);
          this.#storeFailure = cause;
          throw cause;
        }
        this.logger.error({ err: cause, messages: envelopes.length }, "could not make accepted messages durable");
        throw new EddyError(
          "EDDY_STORE_FAILED",
          `the store could not log ${envelopes.length} message(s): ${cause instanceof Error ? cause.message : String(cause)}; nothing was accepted, retry later`,
          { cause, retryable: true },
        );
      }
    }
    if (spans !== undefined) endSpans(spans, undefined);
  }

  /**
   * One "ingress accept" span per distinct incoming traceparent (messages
   * without one share a span that starts a new trace); each message then
   * carries its span's traceparent into the log.
   */
  #ingressSpans(messages: readonly AcceptedMessage[], envelopes: readonly Envelope[]): TraceSpan[] {
    const byParent = new Map<string | undefined, TraceSpan>();
    for (let i = 0; i < messages.length; i++) {
      const parent = messages[i]!.traceparent;
      let span = byParent.get(parent);
      if (span === undefined) {
        const m = messages[i]!;
        span = this.tracing.startSpan("eddy ingress accept", {
          parent,
          kind: "producer",
          attributes: { "eddy.address": formatAddress(m.target), "eddy.typename": m.argument.typename, "eddy.messages": messages.length },
        });
        byParent.set(parent, span);
      }
      envelopes[i]!.trace = span.traceparent;
    }
    return [...byParent.values()];
  }

  checkTarget(target: Address, argument: TypedValue): TargetProblem | undefined {
    return this.#targetProblem(target) ?? this.functions.resolve(target.type)!.checkArgument?.(argument);
  }

  /** Why no function can take a message to `target`, whatever its argument. */
  #targetProblem(target: Address): TargetProblem | undefined {
    if (this.functions.resolve(target.type) === undefined) return { code: "EDDY_UNKNOWN_FUNCTION", message: `no function is bound for type ${target.type}` };
    const tooLong = addressProblem(target);
    if (tooLong !== undefined) return { code: "EDDY_INVALID_ADDRESS", message: tooLong };
    return undefined;
  }

  /** Routes a record of a custom ingress through its routers. */
  routeIngressRecord(ingressId: string, key: string | undefined, value: TypedValue): RoutedMessage[] {
    const routers = this.#routers.get(ingressId);
    if (routers === undefined) {
      throw new EddyError("EDDY_CONFIG_INVALID", `ingress "${ingressId}" has no router bound`);
    }
    return routers.flatMap((r) => r({ ingress: ingressId, key, value }));
  }

  // ---- observation ---------------------------------------------------------

  get state(): RuntimeState {
    return this.#state;
  }

  /**
   * Ready once recovery has finished and every ingress listens; until then,
   * and from the moment it drains, the reason it is not.
   */
  get readiness(): { readonly ready: true } | { readonly ready: false; readonly reason: string } {
    return this.#notReady === undefined ? { ready: true } : { ready: false, reason: this.#notReady };
  }

  /** Messages accepted and not yet committed, except those of parked addresses. */
  get pendingMessages(): number {
    return this.#gate.pending + this.#gate.aside;
  }

  /** How many addresses are parked. */
  get quarantinedCount(): number {
    let n = 0;
    for (const context of this.#contexts.values()) n += context.processor.parkedCount;
    return n;
  }

  /** Every parked address, with its parked message and how many messages wait behind it. */
  quarantined(): { readonly record: QuarantineRecord; readonly waiting: number }[] {
    return [...this.#contexts.values()].flatMap((context) => context.processor.parked());
  }

  /**
   * Releases a parked address and retries its parked message (with the
   * function as it is now); its other messages follow in order. Resolves once
   * the release is durable, with the record it released, or undefined when the
   * address is not parked (so a repeated call changes nothing).
   */
  async retryQuarantined(target: Address): Promise<QuarantineRecord | undefined> {
    const released = this.#processorOf(target)?.retryParked(addressKey(target));
    await released?.written;
    return released?.record;
  }

  /**
   * Discards a parked address's parked message (logged with its content); the
   * messages behind it proceed. Resolves once durable, with the record, or
   * undefined when the address is not parked.
   */
  async dropQuarantined(target: Address): Promise<QuarantineRecord | undefined> {
    const dropped = this.#processorOf(target)?.dropParked(addressKey(target));
    await dropped?.written;
    return dropped?.record;
  }

  /** What the runtime holds for an address besides its state: unprocessed messages, its pending timers, its quarantine. */
  addressActivity(target: Address): { backlog: number; timers: DelayedMessage[]; quarantine: QuarantineRecord | undefined; waiting: number } {
    const key = addressKey(target);
    const context = this.#contexts.get(this.#router.partitionOf(target.id));
    if (context === undefined) return { backlog: 0, timers: [], quarantine: undefined, waiting: 0 };
    const mailbox = context.processor.mailbox(key);
    const backlog = context.processor.backlogOf(key);
    return {
      backlog,
      timers: context.timers.pending().filter((t) => t.senderKey === key),
      quarantine: mailbox?.parked,
      waiting: mailbox?.parked === undefined ? 0 : backlog - 1,
    };
  }

  /** Records each egress holds undelivered (see maxPendingEgressRecords), by egress id. */
  pendingEgressRecords(): ReadonlyMap<string, number> {
    const pending = new Map<string, number>();
    for (const egress of this.#egresses.values()) pending.set(egress.id, this.#egressBacklog.pending(egress));
    return pending;
  }

  get pendingDelayedMessages(): number {
    let pending = 0;
    for (const context of this.#contexts.values()) pending += context.timers.pendingCount;
    return pending;
  }

  get partitionCount(): number {
    return this.#partitionCount;
  }

  /** Messages waiting for their address (not yet in an invocation), per function type. Walks every mailbox: for scrapes, not hot paths. */
  backlogByFunctionType(): Map<string, number> {
    const backlog = new Map<string, number>();
    for (const context of this.#contexts.values()) context.processor.addBacklog(backlog);
    return backlog;
  }

  /** Adds a source of remote endpoint concurrency (the HTTP pools of remote functions) to what metrics report. */
  reportEndpoints(source: () => readonly EndpointConcurrency[]): void {
    this.#endpointSources.push(source);
  }

  /** In-flight requests and limits of every remote endpoint called so far. */
  endpointConcurrency(): EndpointConcurrency[] {
    return this.#endpointSources.flatMap((source) => source());
  }

  /** The bound ingresses and egresses, for status pages. */
  get io(): { readonly ingresses: readonly Ingress[]; readonly egresses: readonly Egress[] } {
    return { ingresses: this.#ingresses, egresses: [...this.#egresses.values()] };
  }

  /** Resolves once every accepted message has been processed (delayed ones not counted until they fire). */
  idle(): Promise<void> {
    return this.#gate.idle();
  }

  /** Egress deliveries that failed after their invocation committed (logged with the address). */
  get egressFailures(): number {
    return this.#egressFailures;
  }

  egress(id: string): Egress | undefined {
    return this.#egresses.get(id);
  }

  /** The current value of every state registered for the address's type (expired ones absent), as the store holds it. */
  readState(target: Address): StateEntry[] {
    // The partition's own store (the cluster mode's differ); before start, the runtime's.
    const store = this.#contexts.get(this.#router.partitionOf(target.id))?.store ?? this.store;
    return store.read(target, addressKey(target), this.clock.now());
  }

  /**
   * The address's stored state values, expired ones included, from the store of its partition. Throws
   * EDDY_PARTITION_NOT_HERE when a placement gives that partition to another process (not retryable: ask that
   * one) or it is still restoring here (retryable).
   */
  inspectState(target: Address): StoredStateValue[] {
    return this.#storeHolding(target).inspectState(target, addressKey(target));
  }

  /**
   * Addresses holding state in the partitions this process holds, ordered by type then id, after `after`
   * (exclusive); in the cluster mode the other workers hold the rest (see heldPartitions).
   */
  addressesWithState(options: { readonly functionType?: string; readonly after?: Address; readonly limit: number }): Address[] {
    // The embedded mode's partitions share one store; the cluster mode's each have their own.
    const stores = new Set([...this.#contexts.values()].map((c) => c.store));
    if (this.#placement === undefined && stores.size === 0) stores.add(this.store);
    const merged = [...stores].flatMap((store) => store.addressesWithState(options));
    // The stores page in the order of their keys (addressKey: type, then id).
    if (stores.size > 1) merged.sort((a, b) => (addressKey(a) < addressKey(b) ? -1 : 1));
    return merged.slice(0, options.limit);
  }

  /** The partitions whose state addressesWithState covers: all of them in the embedded mode, the open ones in the cluster mode. */
  heldPartitions(): number[] {
    if (this.#placement === undefined) return Array.from({ length: this.#partitionCount }, (_, p) => p);
    return [...this.#contexts.keys()].sort((a, b) => a - b);
  }

  // ---- internals -----------------------------------------------------------

  /** Hands a message to its partition (the router decides how); returns the partition. */
  #route(message: Envelope): number {
    this.#router.route(message);
    return this.#router.partitionOf(message.target.id);
  }

  /** The context of the partition that holds this address (its state, and the timers it sent). */
  #contextOf(address: Address): PartitionContext {
    return this.#contexts.get(this.#router.partitionOf(address.id))!;
  }

  /** The processor of the address's partition; undefined before start; EDDY_PARTITION_NOT_HERE (see inspectState) when another process holds it. */
  #processorOf(address: Address): PartitionProcessor | undefined {
    return this.#contextHolding(address)?.processor;
  }

  /** The store of the address's partition (the runtime's own before start), or EDDY_PARTITION_NOT_HERE. */
  #storeHolding(address: Address): StateStore {
    return this.#contextHolding(address)?.store ?? this.store;
  }

  #contextHolding(address: Address): PartitionContext | undefined {
    const partition = this.#router.partitionOf(address.id);
    const context = this.#contexts.get(partition);
    if (context !== undefined || this.#placement === undefined) return context;
    const where = `${formatAddress(address)} is in partition ${partition}`;
    if (this.#placement.holds(partition)) {
      throw new EddyError("EDDY_PARTITION_NOT_HERE", `${where}, which this worker is still restoring`, { retryable: true });
    }
    throw new EddyError(
      "EDDY_PARTITION_NOT_HERE",
      `${where}, which another worker holds; ask that worker (each logs "partition ${partition} assigned: restored" when it takes it)`,
    );
  }

  #placementHost(): PlacementHost {
    // A placement's partition may close while the runtime runs on: its own account of the gate gives its count back.
    const accounts = new WeakMap<PartitionContext, GateAccount>();
    return {
      open: (partition, store) => {
        const account = new GateAccount(this.#gate);
        const context = this.#openPartition(partition, store, account);
        this.#contexts.set(partition, context);
        const opened: PartitionContext = {
          ...context,
          close: async () => {
            if (this.#contexts.get(partition) === context) this.#contexts.delete(partition);
            await context.close();
            account.close();
          },
        };
        accounts.set(opened, account);
        return opened;
      },
      admit: async (context, messages, signal) => {
        await accounts.get(context)!.enter(messages.length, signal);
        for (const m of messages) context.processor.append(m);
      },
    };
  }

  /** Opens the context of one partition: its processor and timers over `store`, its messages counted on `gate`. */
  #openPartition(partition: number, store: StateStore, gate: ProcessorGate = this.#gate): PartitionContext {
    const timers = new DelayedMessageService(this.clock, (m) => this.#fireDelayed(store, m));
    const processor = new PartitionProcessor(partition, this.#processorHost(store, timers, gate));
    return {
      partition,
      processor,
      store,
      timers,
      close: () => {
        processor.stop();
        timers.stop();
        return Promise.resolve();
      },
    };
  }

  #fireDelayed(store: StateStore, message: DelayedMessage): void {
    if (this.#state === "stopped") return;
    const inProcess = this.#router.inProcess;
    if (inProcess) this.#gate.add(1);
    const logging = store.fireDelayed(message);
    if (logging === undefined) {
      this.#route(message.envelope);
      return;
    }
    logging.then(
      () => {
        if (inProcess) this.#route(message.envelope);
      },
      (error: unknown) => {
        if (inProcess) this.#gate.release(1);
        if (isEddyError(error, "EDDY_SHUTTING_DOWN")) return; // the partition was closed; its next owner fires the timer
        // The timer is still in the store; try again shortly rather than lose or duplicate it.
        this.logger.error({ err: error, sender: formatAddress(message.sender) }, "could not log a due delayed message; retrying in 1 s");
        this.clock.schedule(1000, () => this.#fireDelayed(store, message));
      },
    );
  }

  /** Resumes from the store: unprocessed messages, pending timers, egress records not yet taken. */
  async #recover(): Promise<void> {
    const recovered = await this.store.recover();
    // Parked addresses first, so their recovered messages queue behind the parked one.
    for (const record of recovered.quarantined) this.#processorOf(record.target)?.restoreParked(record);
    for (const m of recovered.messages) {
      if (this.functions.resolve(m.target.type) === undefined) {
        this.logger.error(
          { address: formatAddress(m.target), seq: m.seq },
          "a logged message targets a function type no longer bound; it stays in the store until the binding returns",
        );
        continue;
      }
      this.#gate.add(1);
      this.#route(m);
    }
    for (const t of recovered.timers) this.#contextOf(t.sender).timers.add(t);
    if (recovered.egress.length > 0) this.#deliverOutbox(recovered.egress);
    if (recovered.messages.length + recovered.timers.length + recovered.egress.length + recovered.quarantined.length > 0) {
      this.logger.info(
        { messages: recovered.messages.length, timers: recovered.timers.length, egressRecords: recovered.egress.length, parked: recovered.quarantined.length },
        "recovered from the store",
      );
    }
  }

  #acknowledgeEgress(ids: readonly number[]): void {
    if (ids.length === 0) return;
    try {
      const done = this.store.acknowledgeEgress(ids);
      if (done !== undefined) {
        done.catch((error: unknown) => this.logger.warn({ err: error, records: ids.length }, "could not forget delivered egress records; they may be delivered again after a restart"));
      }
    } catch (error) {
      this.logger.warn({ err: error, records: ids.length }, "could not forget delivered egress records; they may be delivered again after a restart");
    }
  }

  #processorHost(store: StateStore, timers: DelayedMessageService, gate: ProcessorGate): ProcessorHost {
    const planContext = {
      store,
      functions: this.functions,
      egresses: this.#egresses,
      delayed: timers,
    };
    return {
      store,
      clock: this.clock,
      logger: this.logger,
      retryPolicy: this.#retryPolicy,
      stats: this.stats,
      tracing: this.tracing,
      gate,
      resolve: (type: string): FunctionInvoker | undefined => this.functions.resolve(type),
      quarantineAfter: (type: string): number => this.#quarantine.afterAttempts(type),
      plan: (
        mailbox: AddressMailbox,
        batch: readonly Envelope[],
        outcome: BatchOutcome & { kind: "completed" },
        invokedAt: number,
      ): CommitUnit => planCommit(planContext, mailbox.target, mailbox.key, batch, outcome.effects, invokedAt),
      afterCommit: (unit: CommitUnit) => this.#afterCommit(timers, unit),
      addressEvent: (event: AddressEvent) => {
        logAddressEvent(this.logger, event);
        this.#onAddressEvent?.(event);
      },
    };
  }

  #afterCommit(timers: DelayedMessageService, unit: CommitUnit): void {
    if (unit.messages.length > 0 && this.#router.inProcess) {
      this.#gate.add(unit.messages.length);
      const from = this.#router.partitionOf(unit.target.id);
      let local = 0;
      for (const m of unit.messages) if (this.#route(m) === from) local++;
      const stats = this.stats.function(unit.functionType);
      stats.outLocal += local;
      stats.outRemote += unit.messages.length - local;
    }
    for (const op of unit.delayed) {
      if (op.kind === "send") timers.add(op.message);
      else timers.cancel(op.senderKey, op.cancellationToken);
    }
    if (unit.egress.length > 0) this.#deliverOutbox(unit.egress, unit.target, unit.trace);
    if (unit.replies !== undefined) this.#deliverReplies(unit.replies, unit.target);
  }

  #deliverReplies(replies: readonly OutgoingMessage[], from: Address): void {
    for (const r of replies) {
      const receive = this.#replyReceivers.get(r.target.type);
      if (receive !== undefined) receive(r.target, r.argument);
      else {
        this.logger.debug(
          { address: formatAddress(from), replyTo: formatAddress(r.target) },
          "reply dropped: no request/reply ingress of this runtime waits for replies of this type",
        );
      }
    }
  }

  #deliverOutbox(outbox: readonly OutboxRecord[], from?: Address, trace?: string): void {
    const byEgress = new Map<string, OutboxRecord[]>();
    for (const record of outbox) {
      const list = byEgress.get(record.egress);
      if (list === undefined) byEgress.set(record.egress, [record]);
      else list.push(record);
    }
    for (const [id, records] of byEgress) {
      const egress = this.#egresses.get(id);
      if (egress === undefined) {
        this.logger.error({ egress: id, records: records.length }, "records for an egress that is no longer bound stay in the store");
        continue;
      }
      const ids = records.map((r) => r.id);
      const stats = this.stats.egress(id);
      const span = this.tracing.enabled
        ? this.tracing.startSpan(`eddy egress ${id}`, {
            parent: trace,
            kind: "producer",
            attributes: { "eddy.egress": id, "eddy.egress_records": records.length },
          })
        : undefined;
      const onError = (error: unknown) => {
        this.#egressFailures++;
        stats.failures++;
        span?.fail(error);
        span?.end();
        this.logger.error(
          { egress: id, address: from === undefined ? undefined : formatAddress(from), records: records.length, err: error },
          `egress ${id} failed to deliver records; they are kept and delivered again after a restart`,
        );
      };
      const acknowledge = () => {
        stats.records += records.length;
        span?.end();
        if (egress.acknowledgesItself !== true) this.#acknowledgeEgress(ids);
      };
      try {
        const delivering = egress.deliver(
          records.map((r) => r.value),
          ids,
        );
        if (delivering === undefined) acknowledge();
        else delivering.then(acknowledge, onError);
        this.#egressBacklog.delivered(egress, records.length, delivering ?? undefined);
      } catch (error) {
        onError(error);
      }
    }
  }

  #assertNotStarted(what: string): void {
    if (this.#state !== "created") {
      throw new EddyError("EDDY_CONFIG_INVALID", `cannot ${what} after the runtime has started`);
    }
  }
}

function customEgress(id: string, egress: CustomEgress): Egress {
  return {
    id,
    check: () => undefined,
    deliver: (records) => egress.deliver(records),
    describe: () => "custom egress (TypeScript)",
  };
}

function customIngress(id: string, ingress: CustomIngress, runtime: Runtime): Ingress {
  return {
    id,
    async start(sink) {
      await ingress.start(async (record) => {
        await sink.accept(runtime.routeIngressRecord(id, record.key, record.value));
      });
    },
    stop: async () => {
      await ingress.stop();
    },
    describe: () => "custom ingress (TypeScript)",
  };
}

function endSpans(spans: readonly TraceSpan[], error: unknown): void {
  for (const span of spans) {
    if (error !== undefined) span.fail(error);
    span.end();
  }
}
