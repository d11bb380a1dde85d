/** Exponential backoff for failed invocations of one address. */
export interface RetryPolicy {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { initialDelayMs: 50, maxDelayMs: 30_000 };

/** Delay before attempt `attempt` (1 = first retry), with ±20% jitter so retries of many addresses spread out. */
export function retryDelay(policy: RetryPolicy, attempt: number): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}
