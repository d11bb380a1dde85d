import type { TypedValue } from "@eddy/sdk";
import type { Egress } from "@eddy/runtime";

/** An egress that keeps every record committed to it, in commit order. */
export class CapturingEgress implements Egress {
  readonly id: string;
  readonly records: TypedValue[] = [];

  constructor(id: string) {
    this.id = id;
  }

  check(): string | undefined {
    return undefined;
  }

  deliver(records: readonly TypedValue[]): void {
    this.records.push(...records);
  }

  describe(): string {
    return "captured by @eddy/testing";
  }
}
