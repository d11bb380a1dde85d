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
  readonly #waiting: (() => void)[] = [];

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
    return this.#waiting.length;
  }

  /** Resolves when a request may start; call `release` exactly once when it ends. */
  acquire(): Promise<void> | undefined {
    if (this.#inFlight < this.limit) {
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
   * excess, times the limit, estimates how many requests queue at the
   * endpoint. Few queued: grow; many queued: shrink.
   */
  release(latencyMs: number | undefined): void {
    this.#inFlight--;
    if (latencyMs === undefined) {
      this.#limit = Math.max(this.#min, this.#limit * 0.9);
    } else {
      // The lowest latency drifts up slowly so that a permanently slower endpoint is re-learned.
      this.#minLatencyMs = this.#minLatencyMs === 0 ? latencyMs : Math.min(latencyMs, this.#minLatencyMs * 1.001);
      // Only a limit that is actually used says anything about the endpoint.
      if (this.#inFlight + 1 >= this.#limit / 2) {
        const queued = this.#limit * (1 - (this.#minLatencyMs + 0.5) / (latencyMs + 0.5));
        const step = Math.max(1, Math.log10(this.#limit));
        if (queued < 3 * step) this.#limit = Math.min(this.#max, this.#limit + step);
        else if (queued > 6 * step) this.#limit = Math.max(this.#min, this.#limit - step);
      }
    }
    while (this.#inFlight < this.limit && this.#waiting.length > 0) this.#waiting.shift()!();
  }
}
