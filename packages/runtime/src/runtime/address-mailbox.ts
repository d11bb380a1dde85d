import type { Address } from "@eddy/sdk";
import type { FunctionStats } from "../observability/runtime-stats.js";
import type { TraceSpan } from "../observability/tracing.js";
import type { Envelope } from "./envelope.js";

/**
 * The messages waiting for one address. At most one batch is in flight per
 * address; whatever arrives meanwhile waits here and goes out as the next
 * batch, in arrival order.
 */
export class AddressMailbox {
  readonly key: string;
  readonly target: Address;
  #queue: Envelope[] = [];
  /** The batch being invoked (and retried on failure), or undefined when idle. */
  inFlight: Envelope[] | undefined = undefined;
  /** Failed attempts of the current batch. */
  attempt = 0;
  /** True while listed in the processor's ready queue. */
  ready = false;
  /** True while its backlog holds the partition's intake (maxNumBatchRequests). */
  blocking = false;
  /** The counters of its function type. */
  readonly stats: FunctionStats;
  /** performance.now() when the current attempt started; 0 once its outcome (or failure) is counted. */
  startedAt = 0;
  /** The current attempt's span, while tracing is on. */
  span: TraceSpan | undefined = undefined;

  constructor(key: string, target: Address, stats: FunctionStats) {
    this.key = key;
    this.target = target;
    this.stats = stats;
  }

  get backlog(): number {
    return this.#queue.length;
  }

  get idle(): boolean {
    return this.inFlight === undefined && this.#queue.length === 0;
  }

  enqueue(message: Envelope): void {
    this.#queue.push(message);
  }

  /** Takes every queued message as the next batch. */
  takeBatch(): Envelope[] {
    const batch = this.#queue;
    this.#queue = [];
    this.inFlight = batch;
    this.attempt = 0;
    return batch;
  }
}
