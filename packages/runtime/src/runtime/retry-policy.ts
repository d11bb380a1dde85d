import { backoffDelay } from "../retry/backoff.js";

/** Exponential backoff for failed invocations of one address. */
export interface RetryPolicy {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { initialDelayMs: 50, maxDelayMs: 30_000 };

/** Delay before attempt `attempt` (1 = first retry), up to 20% shorter at random so retries of many addresses spread out. */
export function retryDelay(policy: RetryPolicy, attempt: number): number {
  return backoffDelay({ initialMs: policy.initialDelayMs, maxMs: policy.maxDelayMs, jitter: 0.2 }, attempt - 1);
}
