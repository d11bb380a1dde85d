import { EddyError } from "../core/errors.js";
import type { TypedValue } from "../core/typed-value.js";
import type { StateMutation } from "./invocation-batch.js";
import type { NormalizedValueSpec } from "./value-spec.js";

const EMPTY = new Uint8Array(0);

/** Per-slot bookkeeping: not yet decoded, decoded, or written by the function. */
const RAW = 0;
const DECODED = 1;
const WRITTEN = 2;

export interface StateView {
  /** The state changes the batch made, in declaration order. */
  mutations(): StateMutation[];
}

export type StateViewFactory = (values: (TypedValue | undefined)[]) => StateView & object;

/**
 * Builds, once per function definition, a class whose instances expose each
 * declared state as a property. Accessors on a shared prototype keep storage
 * access as cheap as a field read, which matters at hundreds of thousands of
 * invocations per second; values are decoded only when read.
 */
export function stateViewFactory(functionType: string, specs: readonly NormalizedValueSpec[]): StateViewFactory {
  class View implements StateView {
    readonly raw: (TypedValue | undefined)[];
    readonly values: unknown[];
    readonly status: Uint8Array;

    constructor(raw: (TypedValue | undefined)[]) {
      this.raw = raw;
      this.values = new Array<unknown>(specs.length);
      this.status = new Uint8Array(specs.length);
      // Assigning an undeclared state must fail loudly (a TypeError in strict code), not vanish.
      Object.preventExtensions(this);
    }

    mutations(): StateMutation[] {
      const out: StateMutation[] = [];
      for (let i = 0; i < specs.length; i++) {
        if (this.status[i] !== WRITTEN) continue;
        const { spec, type } = specs[i]!;
        const v = this.values[i];
        out.push(
          v === undefined || v === null
            ? { kind: "delete", name: spec.name }
            : { kind: "modify", name: spec.name, value: { typename: spec.typename, value: type.serialize(v) } },
        );
      }
      return out;
    }
  }

  specs.forEach(({ spec, type }, i) => {
    Object.defineProperty(View.prototype, spec.name, {
      enumerable: true,
      get(this: View): unknown {
        if (this.status[i] !== RAW) return this.values[i];
        const stored = this.raw[i];
        let value: unknown = undefined;
        if (stored?.value !== undefined) {
          if (stored.typename !== spec.typename) {
            throw new EddyError(
              "EDDY_TYPE_MISMATCH",
              `state "${spec.name}" of ${functionType} holds a ${stored.typename} but is declared as ${spec.typename}`,
            );
          }
          value = type.deserialize(stored.value.length === 0 ? EMPTY : stored.value);
        }
        this.values[i] = value;
        this.status[i] = DECODED;
        return value;
      },
      set(this: View, value: unknown) {
        this.values[i] = value;
        this.status[i] = WRITTEN;
      },
    });
  });

  return (values) => new View(values);
}
