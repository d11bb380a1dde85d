/**
 * How many requests one endpoint gets at once, adapted to what it can take
 * (TCP Vegas' rule, as in Netflix's concurrency-limits).
 *
 * Why: the runtime has one request in flight per address, so with thousands of
 * busy addresses it would open thousands of connections. A CPU-bound function
 * server then only queues them: latency grows, throughput does not, and every
 * batch holds one message. Holding requests back while the endpoint's latency
 * rises lets the messages that arrive meanwhile join the next batch of their
 * address, so one request carries several invocations. A slow but idle
 * endpoint (a function awaiting I/O) keeps a flat latency, so its limit grows
 * to the pool size and nothing is held back.
 */
export interface ConcurrencyLimitOptions {
  readonly initial?: number;
  readonly min?: number;
  /** The most requests in flight at once: the endpoint's connection pool size. */
  readonly max: number;
}

export class ConcurrencyLimit {
  readonly #min: number;
  readonly #max: number;
  #limit: number;
  #inFlight = 0;
  /** The lowest recent latency: what the endpoint takes when nothing queues there. */
  #minLatencyMs = 0;
  /** Calls waiting for a slot, oldest first from #head (an index, so taking one is O(1)). */
  #waiting: (() => void)[] = [];
  #head = 0;

  constructor(options: ConcurrencyLimitOptions) {
    this.#max = Math.max(1, options.max);
    this.#min = Math.min(this.#max, options.min ?? 4);
    // Start open: an endpoint is trusted until its latency says it queues.
    this.#limit = Math.min(this.#max, Math.max(this.#min, options.initial ?? this.#max));
  }

  get limit(): number {
    return Math.floor(this.#limit);
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get waiting(): number {
    return this.#waiting.length - this.#head;
  }

  /** Resolves when a request may start; call `release` exactly once when it ends. */
  acquire(): Promise<void> | undefined {
    if (this.#inFlight < this.limit && this.waiting === 0) {
      this.#inFlight++;
      return undefined;
    }
    return new Promise<void>((resolve) => {
      this.#waiting.push(() => {
        this.#inFlight++;
        resolve();
      });
    });
  }

  /**
   * Ends a request. `latencyMs` is its duration when it succeeded, undefined
   * when it failed (a failure shrinks the limit, like a dropped packet in TCP).
   *
   * TCP Vegas' rule: compare the latency with the lowest one seen lately; the
   * excess, times the requests that were in flight, estimates how many of them
   * queued at the endpoint. Many queued: shrink below what was in flight, even
   * when that is far under the limit (a limit still at the pool size would
   * otherwise let hundreds of one-message requests queue at a CPU-bound
   * server, where nothing can join them). Few queued while the limit is used:
   * grow.
   */
  release(latencyMs: number | undefined): void {
    const used = this.#inFlight;
    this.#inFlight--;
    if (latencyMs === undefined) {
      this.#limit = Math.max(this.#min, this.#limit * 0.9);
    } else {
      // The lowest latency drifts up slowly so that a permanently slower endpoint is re-learned.
      this.#minLatencyMs = this.#minLatencyMs === 0 ? latencyMs : Math.min(latencyMs, this.#minLatencyMs * 1.001);
      const queued = used * (1 - (this.#minLatencyMs + 0.5) / (latencyMs + 0.5));
      const step = Math.max(1, Math.log10(this.#limit));
      if (queued > 6 * step) this.#limit = Math.max(this.#min, Math.min(this.#limit, used) - step);
      // Only a limit that is actually used says it could be higher.
      else if (queued < 3 * step && used >= this.#limit / 2) this.#limit = Math.min(this.#max, this.#limit + step);
    }
    while (this.#inFlight < this.limit && this.waiting > 0) {
      const next = this.#waiting[this.#head]!;
      this.#waiting[this.#head++] = noop;
      if (this.#head === this.#waiting.length) {
        this.#waiting = [];
        this.#head = 0;
      } else if (this.#head >= 1024 && this.#head * 2 >= this.#waiting.length) {
        this.#waiting = this.#waiting.slice(this.#head);
        this.#head = 0;
      }
      next();
    }
  }
}

function noop(): void {}
