import type { Address } from "../core/address.js";
import type { TypedValue } from "../core/typed-value.js";

/*
 * The contract between the runtime and a function, whatever its deployment:
 * one batch of messages for one address in, one set of effects out. It mirrors
 * StateFun's ToFunction / FromFunction so that embedded, co-located and remote
 * functions share one path through the runtime.
 */

export interface Invocation {
  /** The sending function; undefined for messages from an ingress. */
  readonly caller: Address | undefined;
  readonly argument: TypedValue;
}

export interface StateEntry {
  readonly name: string;
  /** Undefined when the state has no value (never written, deleted or expired). */
  readonly value: TypedValue | undefined;
}

export interface InvocationBatch {
  readonly target: Address;
  /** Every state registered so far for the function type. */
  readonly states: readonly StateEntry[];
  /** At least one, in arrival order. */
  readonly invocations: readonly Invocation[];
}

export type ExpireMode = "none" | "after-write" | "after-invoke";

export interface StateSpec {
  readonly name: string;
  readonly typename: string;
  readonly expireMode: ExpireMode;
  /** Milliseconds; 0 when expireMode is "none". */
  readonly expireAfterMs: number;
}

export type StateMutation =
  | { readonly kind: "delete"; readonly name: string }
  | { readonly kind: "modify"; readonly name: string; readonly value: TypedValue };

export interface OutgoingMessage {
  readonly target: Address;
  readonly argument: TypedValue;
}

export type DelayedAction =
  | {
      readonly kind: "send";
      readonly delayMs: number;
      readonly target: Address;
      readonly argument: TypedValue;
      /** Empty string when the message cannot be cancelled. */
      readonly cancellationToken: string;
    }
  | { readonly kind: "cancel"; readonly cancellationToken: string };

export interface EgressRecord {
  /** The egress id, `namespace/name`. */
  readonly egress: string;
  readonly argument: TypedValue;
}

export interface InvocationEffects {
  readonly mutations: readonly StateMutation[];
  readonly messages: readonly OutgoingMessage[];
  readonly delayed: readonly DelayedAction[];
  readonly egress: readonly EgressRecord[];
}

export type BatchOutcome =
  | { readonly kind: "completed"; readonly effects: InvocationEffects }
  /** The function declares states the runtime did not send: register them and send the same batch again. */
  | { readonly kind: "incomplete"; readonly missing: readonly StateSpec[] };
