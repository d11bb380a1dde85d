import type { TypedValue } from "@eddy/sdk";

export interface EgressContext {
  /** Records with these ids were taken; the store may forget them. */
  acknowledge(ids: readonly number[]): void;
}

/**
 * Where egress records leave the runtime. `check` runs before an invocation
 * commits, so a record the egress cannot take fails that invocation (which is
 * retried) instead of being lost after the commit; `deliver` runs after it.
 */
export interface Egress {
  /** The egress id functions address, `namespace/name`. */
  readonly id: string;
  /** Why the egress cannot take this record, or undefined when it can. */
  check(record: TypedValue): string | undefined;
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
  start?(context: EgressContext): Promise<void>;
  stop?(): Promise<void>;
  /** One line for the startup log: what it serves and where. */
  describe(): string;
}
