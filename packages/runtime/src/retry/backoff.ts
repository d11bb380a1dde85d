/**
 * How the delay between attempts grows: from `initialMs`, doubling per failed
 * attempt, up to `maxMs`. Every retry loop in Eddy (failed invocations,
 * reconnecting to Kafka or Kinesis, restarting a co-located process) uses it.
 */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  /**
   * Each delay is drawn from [(1 − jitter) × d, d], so that many clients that
   * failed together do not retry in step; 0 makes delays exact (a supervisor's
   * restart schedule an operator reads in the log). Default 0.5.
   */
  readonly jitter?: number;
}

/** Reconnecting to a broker or service that is down or restarting: 100 ms doubling to 10 s. */
export const RECONNECT_BACKOFF: BackoffPolicy = { initialMs: 100, maxMs: 10_000 };

/** The delay before retry `attempt` (0 for the first retry). */
export function backoffDelay(policy: BackoffPolicy, attempt: number): number {
  const full = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(Math.max(0, attempt), 30));
  const jitter = policy.jitter ?? 0.5;
  return Math.round(full * (1 - jitter * Math.random()));
}

/** A retry loop's backoff: each `next()` is the delay before the next attempt; `reset()` after a success. */
export class Backoff {
  readonly #policy: BackoffPolicy;
  #attempt = 0;

  constructor(policy: BackoffPolicy = RECONNECT_BACKOFF) {
    this.#policy = policy;
  }

  next(): number {
    return backoffDelay(this.#policy, this.#attempt++);
  }

  /** Failed attempts since the last reset. */
  get attempts(): number {
    return this.#attempt;
  }

  reset(): void {
    this.#attempt = 0;
  }
}
