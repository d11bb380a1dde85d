/**
 * Upper bounds, in seconds, of every duration histogram Eddy exports. They
 * start at 100 µs because an embedded invocation or a memory-store commit takes
 * a few microseconds; remote calls and fsyncs land in the millisecond buckets.
 */
export const DURATION_BUCKETS_SECONDS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/**
 * Counts of observed durations per bucket, kept as plain numbers. The hot path
 * only adds to them (a few nanoseconds); the Prometheus exporter reads them
 * when it is scraped, so a slow scrape never slows an invocation.
 */
export class DurationHistogram {
  /** Observations per bucket (not cumulative); the last slot is +Inf. */
  readonly counts = new Float64Array(DURATION_BUCKETS_SECONDS.length + 1);
  /** Sum of every observation, in seconds. */
  sum = 0;
  count = 0;

  observeMs(ms: number): void {
    const seconds = ms / 1000;
    this.sum += seconds;
    this.count++;
    let i = 0;
    const bounds = DURATION_BUCKETS_SECONDS;
    while (i < bounds.length && seconds > bounds[i]!) i++;
    this.counts[i]!++;
  }
}
