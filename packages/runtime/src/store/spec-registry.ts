import type { StateSpec } from "@eddy/sdk";

/**
 * The state specs registered per function type. The first registration of a
 * name wins (StateFun fixes type and TTL then); a later one with another
 * typename is a conflict, reported to the caller.
 */
export class SpecRegistry {
  readonly #types = new Map<string, { list: StateSpec[]; byName: Map<string, StateSpec> }>();

  /** Adds new names; returns the conflicting specs and whether anything was added. */
  register(functionType: string, specs: readonly StateSpec[]): { conflicts: StateSpec[]; added: boolean } {
    let entry = this.#types.get(functionType);
    if (entry === undefined) {
      entry = { list: [], byName: new Map() };
      this.#types.set(functionType, entry);
    }
    const conflicts: StateSpec[] = [];
    let added = false;
    for (const spec of specs) {
      const known = entry.byName.get(spec.name);
      if (known === undefined) {
        entry.list.push(spec);
        entry.byName.set(spec.name, spec);
        added = true;
      } else if (known.typename !== spec.typename) {
        conflicts.push(spec);
      }
    }
    return { conflicts, added };
  }

  specsOf(functionType: string): readonly StateSpec[] {
    return this.#types.get(functionType)?.list ?? [];
  }

  spec(functionType: string, name: string): StateSpec | undefined {
    return this.#types.get(functionType)?.byName.get(name);
  }
}
