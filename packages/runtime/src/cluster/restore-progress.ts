import type { Logger } from "../log/logger.js";

/** Where a partition's restore starts: records taken from the local cache, then the changelog from `from` to `end`. */
export interface RestorePlan {
  /** Records loaded from the worker's local cache (0 without one). */
  readonly cached: number;
  /** The changelog offset the restore reads from (0, or the cache's offset). */
  readonly from: bigint;
  /** The changelog's last stable offset when the restore began: it reads up to here. */
  readonly end: bigint;
  /** "changelog", "cache" (current: nothing to read), or "cache+tail" (the cache, then the changelog after its offset). */
  readonly source: "changelog" | "cache" | "cache+tail";
}

/**
 * Logs one partition's restore: a line when it begins, a line every
 * `intervalMs` while it reads, and a line when it is done with its duration.
 * Every line carries `partition`, `restored` (records applied so far: cached
 * ones, then changelog ones) and `total`: the cached records plus the
 * changelog offsets to read. Compaction and transaction markers leave fewer
 * records than offsets, so `total` is an upper bound the count may end below.
 */
export class RestoreProgress {
  readonly #log: Logger;
  readonly #partition: number;
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #started: number;
  #plan: RestorePlan | undefined;
  #fromChangelog = 0;
  #offset = 0n;
  #lastReport: number;

  constructor(log: Logger, partition: number, options: { intervalMs?: number; now?: () => number } = {}) {
    this.#log = log;
    this.#partition = partition;
    this.#intervalMs = options.intervalMs ?? 1_000;
    this.#now = options.now ?? (() => performance.now());
    this.#started = this.#now();
    this.#lastReport = this.#started;
  }

  get #total(): number {
    const plan = this.#plan!;
    const span = plan.end > plan.from ? Number(plan.end - plan.from) : 0;
    return plan.cached + span;
  }

  get #restored(): number {
    return (this.#plan?.cached ?? 0) + this.#fromChangelog;
  }

  begin(plan: RestorePlan): void {
    this.#plan = plan;
    this.#offset = plan.from;
    const p = this.#partition;
    const what =
      plan.source === "cache"
        ? `${plan.cached} records from the local cache, which is current (changelog offset ${plan.end})`
        : plan.source === "cache+tail"
          ? `${plan.cached} records from the local cache, then the changelog from offset ${plan.from} to ${plan.end}`
          : `the changelog from offset ${plan.from} to ${plan.end}`;
    this.#log.info(
      { partition: p, source: plan.source, restored: this.#restored, total: this.#total, from: String(plan.from), end: String(plan.end) },
      `partition ${p}: restoring ${what}`,
    );
  }

  /** `records` more changelog records were applied; the read is at `offset`. Logs a line once `intervalMs` passed since the last one. */
  advance(records: number, offset: bigint): void {
    this.#fromChangelog += records;
    this.#offset = offset;
    const now = this.#now();
    if (now - this.#lastReport < this.#intervalMs) return;
    this.#lastReport = now;
    const plan = this.#plan!;
    const span = Number(plan.end - plan.from);
    const percent = span <= 0 ? 100 : Math.min(100, Math.floor((Number(offset - plan.from) / span) * 100));
    this.#log.info(
      { partition: this.#partition, restored: this.#restored, total: this.#total, offset: String(offset), end: String(plan.end), percent },
      `partition ${this.#partition}: restoring, ${this.#restored} of at most ${this.#total} records (changelog offset ${offset} of ${plan.end}, ${percent}%)`,
    );
  }

  /** Logs the end of the restore; returns its duration in ms. */
  done(): number {
    const durationMs = Math.round(this.#now() - this.#started);
    const plan = this.#plan!;
    this.#log.info(
      {
        partition: this.#partition,
        source: plan.source,
        restored: this.#restored,
        total: this.#total,
        cached: plan.cached,
        fromChangelog: this.#fromChangelog,
        offset: String(this.#offset),
        durationMs,
      },
      `partition ${this.#partition}: restored ${this.#restored} records (${plan.cached} from the local cache, ${this.#fromChangelog} from the changelog) in ${durationMs} ms`,
    );
    return durationMs;
  }
}
