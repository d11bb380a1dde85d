import { EddyError } from "@eddy/sdk";

/**
 * Bounds how many accepted messages may wait in the runtime. Ingresses wait at
 * the gate while the count is at the limit, so a burst slows its senders down
 * instead of growing memory without bound. Messages between functions and from
 * timers pass without waiting: blocking them could deadlock the processors.
 *
 * Messages of a failing address, and the overflow an address holds in the
 * store, are set aside: they no longer count against the limit (a failing
 * address must not starve healthy ones), but the runtime is not idle while
 * any remain. Messages of a parked (quarantined) address count for neither:
 * they wait for an operator, not for processing.
 *
 * A hold (an egress that cannot get its records out) makes ingresses wait
 * whatever the count, until every hold is lifted.
 */
export class BackpressureGate {
  readonly limit: number;
  #pending = 0;
  #aside = 0;
  /** Why ingresses are held regardless of the count, by who holds them (an egress id). */
  readonly #holds = new Map<string, string>();
  #waiters: (() => void)[] = [];
  #closed = false;
  #idleWaiters: (() => void)[] = [];

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Messages counted against the limit. */
  get pending(): number {
    return this.#pending;
  }

  /** Messages set aside: failing addresses' and held overflow; not limited, still to be processed. */
  get aside(): number {
    return this.#aside;
  }

  /**
   * Resolves when `count` more messages may enter; refuses once the gate
   * closes or `signal` aborts (the reader stopped), and, given `maxWaitMs`,
   * with a retryable EDDY_OVERLOADED saying why once it waited that long.
   */
  async enter(count: number, signal?: AbortSignal, maxWaitMs?: number): Promise<void> {
    const deadline = maxWaitMs === undefined ? undefined : performance.now() + maxWaitMs;
    while (this.#pending >= this.limit || this.#holds.size > 0) {
      if (this.#closed || signal?.aborted === true) break;
      if (deadline !== undefined && performance.now() >= deadline) {
        throw new EddyError("EDDY_OVERLOADED", `waited ${maxWaitMs! >= 1_000 ? `${maxWaitMs! / 1_000} s` : `${maxWaitMs} ms`} at the backpressure gate: ${this.#why()}; nothing was accepted, retry later`, {
          retryable: true,
        });
      }
      await new Promise<void>((resolve) => {
        let timer: NodeJS.Timeout | undefined;
        const done = (): void => {
          signal?.removeEventListener("abort", leave);
          clearTimeout(timer);
          resolve();
        };
        // A waiter that gives up leaves the list: during a long hold, every timed-out request would stay in it.
        const leave = (): void => {
          const at = this.#waiters.indexOf(done);
          if (at >= 0) this.#waiters.splice(at, 1);
          done();
        };
        this.#waiters.push(done);
        signal?.addEventListener("abort", leave, { once: true });
        if (deadline !== undefined) timer = setTimeout(leave, Math.max(0, deadline - performance.now()));
      });
    }
    if (this.#closed || signal?.aborted === true) {
      throw new EddyError("EDDY_SHUTTING_DOWN", "the runtime is shutting down and takes no new messages", {
        retryable: true,
      });
    }
    this.#pending += count;
  }

  /** Makes ingresses wait until `holder` lifts its hold; `reason` says why (EDDY_OVERLOADED quotes it). */
  hold(holder: string, reason: string): void {
    this.#holds.set(holder, reason);
  }

  lift(holder: string): void {
    this.#holds.delete(holder);
    this.#settled();
  }

  #why(): string {
    if (this.#holds.size > 0) return [...this.#holds.values()].join("; ");
    return `${this.#pending} accepted messages are waiting to be processed (maxPendingMessages ${this.limit})`;
  }

  /** Admits messages without waiting (internal traffic). */
  add(count: number): void {
    this.#pending += count;
  }

  release(count: number): void {
    this.#pending -= count;
    this.#settled();
  }

  /** Moves messages out of the limit, still waited for by idle(). */
  setAside(count: number): void {
    this.#pending -= count;
    this.#aside += count;
    this.#settled();
  }

  /** Moves set-aside messages back under the limit (admitted without waiting). */
  takeBack(count: number): void {
    this.#aside -= count;
    this.#pending += count;
  }

  /** Counts messages as set aside that were counted nowhere (a parked address released). */
  addAside(count: number): void {
    this.#aside += count;
  }

  /** Stops counting set-aside messages (processed, or parked). */
  releaseAside(count: number): void {
    this.#aside -= count;
    this.#settled();
  }

  #settled(): void {
    if (this.#pending < this.limit && this.#holds.size === 0 && this.#waiters.length > 0) {
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const w of waiters) w();
    }
    if (this.#pending === 0 && this.#aside === 0 && this.#idleWaiters.length > 0) {
      const idle = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const w of idle) w();
    }
  }

  /** Resolves once nothing is pending or set aside (parked messages do not count). */
  idle(): Promise<void> {
    if (this.#pending === 0 && this.#aside === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Refuses new ingress messages from now on; waiting ones are rejected. */
  close(): void {
    this.#closed = true;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  get closed(): boolean {
    return this.#closed;
  }
}
