import type { TypedValue } from "@eddy/sdk";

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
  deliver(records: readonly TypedValue[]): void | Promise<void>;
  start?(): Promise<void>;
  stop?(): Promise<void>;
  /** One line for the startup log: what it serves and where. */
  describe(): string;
}
