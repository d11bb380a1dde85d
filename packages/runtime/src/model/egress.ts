import type { TypedValue } from "@eddy/sdk";

export interface EgressContext {
  /** Records with these ids were taken; the store may forget them. */
  acknowledge(ids: readonly number[]): void;
}

/**
 * A refusal that may pass later without the record changing (the Kafka topic
 * it names does not exist yet): the invocation fails as retryable, so it is
 * retried with backoff instead of being parked at once.
 */
export interface TemporaryRefusal {
  readonly retryLater: string;
}

/**
 * What `check` says: undefined (the egress takes the record), a reason (it
 * never will: the invocation is parked at once), or a temporary refusal.
 */
export type EgressCheck = undefined | string | TemporaryRefusal;

/**
 * Where egress records leave the runtime. `check` runs before an invocation
 * commits, so a record the egress cannot take fails that invocation (which is
 * retried) instead of being lost after the commit; `deliver` runs after it.
 */
export interface Egress {
  /** The egress id functions address, `namespace/name`. */
  readonly id: string;
  /** Why the egress cannot take this record, or undefined when it can. */
  check(record: TypedValue): EgressCheck;
  /**
   * Takes committed records. `ids` name them for acknowledgement: a durable
   * store keeps each record until it is acknowledged and hands unacknowledged
   * ones to `deliver` again after a restart.
   */
  deliver(records: readonly TypedValue[], ids: readonly number[]): void | Promise<void>;
  /**
   * True when the egress acknowledges records itself, once they are really
   * taken (the playground egress: when a GET pops them). Otherwise the runtime
   * acknowledges them as soon as `deliver` returns or resolves.
   */
  readonly acknowledgesItself?: boolean;
  /**
   * Records taken by `deliver` and not yet acknowledged, for an egress that
   * acknowledges itself and queues them in memory meanwhile. While it is at
   * the runtime's `maxPendingEgressRecords`, ingresses wait. An egress that
   * bounds what it holds by itself leaves it undefined.
   */
  readonly pendingRecords?: number;
  start?(context: EgressContext): Promise<void>;
  stop?(): Promise<void>;
  /** One line for the startup log: what it serves and where. */
  describe(): string;
}
