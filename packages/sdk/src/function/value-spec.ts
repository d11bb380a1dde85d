import { EddyError } from "../core/errors.js";
import type { Type } from "../types/type.js";
import type { StateSpec } from "./invocation-batch.js";

/** The rule of the Go and Java SDKs, the widest of the official ones. */
const STATE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A persisted value of a function: its type and, optionally, a time to live.
 * The TTL is fixed when the state is first registered, as in StateFun.
 */
export interface ValueSpec<T> {
  readonly type: Type<T>;
  /** Expire the value this many ms after it was last written. */
  readonly expireAfterWrite?: number;
  /** Expire the value this many ms after the address was last invoked (any message refreshes it). */
  readonly expireAfterCall?: number;
}

/** What `state` of a function definition accepts per state name: a type, or a spec with TTL. */
export type StateDeclaration = Type<unknown> | ValueSpec<unknown>;

export type StateDeclarations = Record<string, StateDeclaration>;

export type DeclaredValue<D> = D extends Type<infer T> ? T : D extends ValueSpec<infer T> ? T : never;

function isType(d: StateDeclaration): d is Type<unknown> {
  return typeof (d as Type<unknown>).serialize === "function";
}

export function checkStateName(name: string): string {
  if (!STATE_NAME.test(name)) {
    throw new EddyError(
      "EDDY_INVALID_STATE_NAME",
      `"${name}" is not a valid state name: use letters, digits and "_", not starting with a digit`,
    );
  }
  return name;
}

export interface NormalizedValueSpec {
  readonly spec: StateSpec;
  readonly type: Type<unknown>;
}

export function normalizeStateDeclaration(name: string, d: StateDeclaration): NormalizedValueSpec {
  checkStateName(name);
  const spec: ValueSpec<unknown> = isType(d) ? { type: d } : d;
  if (spec.expireAfterWrite !== undefined && spec.expireAfterCall !== undefined) {
    throw new EddyError(
      "EDDY_INVALID_STATE_NAME",
      `state "${name}" sets both expireAfterWrite and expireAfterCall; choose one`,
    );
  }
  const ttl = spec.expireAfterWrite ?? spec.expireAfterCall ?? 0;
  if (!Number.isFinite(ttl) || ttl < 0) {
    throw new EddyError("EDDY_INVALID_STATE_NAME", `state "${name}" has an invalid TTL ${ttl}; use milliseconds ≥ 0`);
  }
  const expireMode =
    spec.expireAfterWrite !== undefined && ttl > 0
      ? "after-write"
      : spec.expireAfterCall !== undefined && ttl > 0
        ? "after-invoke"
        : "none";
  return {
    spec: { name, typename: spec.type.typename, expireMode, expireAfterMs: expireMode === "none" ? 0 : ttl },
    type: spec.type,
  };
}
