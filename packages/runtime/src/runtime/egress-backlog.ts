import type { Logger } from "../log/logger.js";
import type { Egress } from "../model/egress.js";
import type { BackpressureGate } from "./backpressure-gate.js";

/**
 * Bounds the records each egress holds in memory while it cannot get them out
 * (its broker is down, its stream is missing, its endpoint hangs). Committed
 * records are safe in the store whatever happens, but an egress queues them in
 * memory too, so an outage at full input rate would grow the process without
 * bound. Once one egress holds `limit` records the ingresses wait at the gate;
 * they go on once it is down to half of that. Functions keep processing what
 * was accepted, so the processors never deadlock on their own output.
 *
 * What an egress holds is its own `pendingRecords` when it has one (egresses
 * that acknowledge records themselves, once really taken), otherwise the
 * records in its unfinished `deliver` calls. An egress that bounds itself (the
 * playground egress drops what its topics cannot hold) reports neither.
 */
export class EgressBacklog {
  readonly limit: number;
  readonly #gate: BackpressureGate;
  readonly #logger: Logger;
  /** Records in `deliver` calls not yet settled, per egress without `pendingRecords`. */
  readonly #delivering = new Map<string, number>();
  /** Egresses holding the gate now. */
  readonly #holding = new Set<string>();
  readonly #recheck = new Set<Egress>();
  #recheckScheduled = false;

  constructor(limit: number, gate: BackpressureGate, logger: Logger) {
    this.limit = limit;
    this.#gate = gate;
    this.#logger = logger;
  }

  /** Records the egress holds, as counted here. */
  pending(egress: Egress): number {
    return egress.pendingRecords ?? this.#delivering.get(egress.id) ?? 0;
  }

  /** Egresses holding the ingresses now, by id. */
  get holding(): ReadonlySet<string> {
    return this.#holding;
  }

  /** `deliver` took `count` records; `settled` says when a returned promise settles. */
  delivered(egress: Egress, count: number, settled: Promise<void> | undefined): void {
    if (settled !== undefined && egress.pendingRecords === undefined) {
      this.#delivering.set(egress.id, (this.#delivering.get(egress.id) ?? 0) + count);
      const done = (): void => {
        this.#delivering.set(egress.id, this.#delivering.get(egress.id)! - count);
        this.#check(egress);
      };
      settled.then(done, done);
    }
    this.#check(egress);
  }

  /**
   * The egress acknowledged records. Checked once the current task has run
   * to its end: an egress may acknowledge before it takes the records out of
   * its queue.
   */
  acknowledged(egress: Egress): void {
    if (!this.#holding.has(egress.id)) return;
    this.#recheck.add(egress);
    if (this.#recheckScheduled) return;
    this.#recheckScheduled = true;
    setImmediate(() => {
      this.#recheckScheduled = false;
      const egresses = [...this.#recheck];
      this.#recheck.clear();
      for (const e of egresses) this.#check(e);
    });
  }

  #check(egress: Egress): void {
    const pending = this.pending(egress);
    if (!this.#holding.has(egress.id)) {
      if (pending < this.limit) return;
      this.#holding.add(egress.id);
      this.#gate.hold(egress.id, `egress ${egress.id} cannot deliver its records (it holds ${pending}, maxPendingEgressRecords ${this.limit}); check that what it writes to is reachable`);
      this.#logger.warn(
        { egress: egress.id, pendingRecords: pending, limit: this.limit },
        `egress ${egress.id} holds ${pending} records it could not deliver yet; ingresses wait until it is down to ${Math.floor(this.limit / 2)} (check that what it writes to is reachable; maxPendingEgressRecords sets the limit)`,
      );
    } else if (pending <= this.limit / 2) {
      this.#holding.delete(egress.id);
      this.#gate.lift(egress.id);
      this.#logger.info({ egress: egress.id, pendingRecords: pending }, `egress ${egress.id} is delivering again; ingresses go on`);
    }
  }
}
