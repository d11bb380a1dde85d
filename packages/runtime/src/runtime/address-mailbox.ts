import type { Address } from "@eddy/sdk";
import type { FunctionStats } from "../observability/runtime-stats.js";
import type { TraceSpan } from "../observability/tracing.js";
import type { QuarantineRecord } from "../model/quarantine-record.js";
import type { Envelope } from "../model/envelope.js";

/** Why the current head message keeps failing, until it commits or is parked. */
export interface FailureRecord {
  readonly firstFailureAt: number;
  lastFailureAt: number;
  error: { readonly code: string; readonly message: string; readonly retryable: boolean };
}

/**
 * The messages waiting for one address. At most one batch is in flight per
 * address; whatever arrives meanwhile waits here and goes out as the next
 * batch, in arrival order. Beyond its backlog limit, and while it fails or is
 * parked, the address's newer messages are held in the store (`held` counts
 * them) rather than in memory.
 */
export class AddressMailbox {
  readonly key: string;
  readonly target: Address;
  #queue: Envelope[] = [];
  /** The batch being invoked (and retried on failure), or undefined when idle. */
  inFlight: Envelope[] | undefined = undefined;
  /** True while its next batch waits for a slot of the function's admission (the batch forms once it has one). */
  admitting = false;
  /** Failed attempts of the current batch. */
  attempt = 0;
  /** True while listed in the processor's ready queue. */
  ready = false;
  /** The counters of its function type. */
  readonly stats: FunctionStats;
  /** performance.now() when the current attempt started; 0 once its outcome (or failure) is counted. */
  startedAt = 0;
  /** The current attempt's span, while tracing is on. */
  span: TraceSpan | undefined = undefined;
  /** This address's messages held in the store, newer than everything queued here. */
  held = 0;
  /** Set from the first failure of the in-flight message until it commits, is dropped or parked. */
  failure: FailureRecord | undefined = undefined;
  /** Set while the in-flight message is parked (quarantined). */
  parked: QuarantineRecord | undefined = undefined;

  constructor(key: string, target: Address, stats: FunctionStats) {
    this.key = key;
    this.target = target;
    this.stats = stats;
  }

  get backlog(): number {
    return this.#queue.length;
  }

  /** True while a batch is in flight or about to be (waiting for admission): no other may start. */
  get busy(): boolean {
    return this.inFlight !== undefined || this.admitting;
  }

  /** True while nothing may join the in-memory queue: it fails, is parked, or already holds overflow. */
  get holding(): boolean {
    return this.held > 0 || this.failure !== undefined || this.parked !== undefined;
  }

  get hasWork(): boolean {
    return this.#queue.length > 0 || this.held > 0;
  }

  enqueue(message: Envelope): void {
    this.#queue.push(message);
  }

  /** Appends messages taken back from the store (they are newer than the queue). */
  refill(messages: readonly Envelope[]): void {
    for (const m of messages) this.#queue.push(m);
  }

  /** Takes every queued message as the next batch. */
  takeBatch(): Envelope[] {
    const batch = this.#queue;
    this.#queue = [];
    this.inFlight = batch;
    this.attempt = 0;
    return batch;
  }

  /**
   * Keeps only the in-flight batch's first message and returns the rest of
   * the batch and the queue, oldest first: after a failure the address retries
   * one message at a time, so the one that fails is the one that gets parked.
   */
  narrowToHead(): Envelope[] {
    const batch = this.inFlight ?? [];
    const rest = batch.slice(1).concat(this.#queue);
    this.inFlight = batch.slice(0, 1);
    this.#queue = [];
    return rest;
  }
}
