import type { Address, StateEntry, StateSpec } from "@eddy/sdk";
import type { Envelope } from "../model/envelope.js";
import type { InputPosition } from "../model/ingress.js";
import type { CommitUnit, DelayedMessage, OutboxRecord } from "../model/commit-unit.js";
import type { QuarantineRecord, StoredStateValue } from "../model/quarantine-record.js";

/** What a store held when the runtime last stopped (or crashed), to resume from. */
export interface RecoveredState {
  /**
   * Accepted messages not yet processed, in log order (including batches in
   * flight at the crash and held overflow), without the parked messages of
   * `quarantined`.
   */
  readonly messages: readonly Envelope[];
  /** Parked addresses, each with its parked message. */
  readonly quarantined: readonly QuarantineRecord[];
  /** Delayed messages not yet fired or cancelled. */
  readonly timers: readonly DelayedMessage[];
  /** Egress records committed but not yet taken by their egress. */
  readonly egress: readonly OutboxRecord[];
}

/**
 * Where the runtime keeps function state and commits invocation effects.
 * The in-memory store backs it today; the embedded durable store and the Kafka
 * mode implement the same interface.
 */
export interface StateStore {
  /**
   * Registers state specs for a function type. A new name is added; a known
   * name keeps its first registration (TTL never changes). Returns the specs
   * whose typename conflicts with the registered one.
   */
  registerSpecs(functionType: string, specs: readonly StateSpec[]): readonly StateSpec[];
  /** All specs registered for a function type, in registration order. */
  specsOf(functionType: string): readonly StateSpec[];
  /** The current value of every registered state of the address; expired values read as absent. */
  read(target: Address, targetKey: string, now: number): StateEntry[];
  /**
   * Logs messages accepted from an ingress (assigning their `seq`). The
   * ingress acknowledges them only after this resolves.
   */
  appendInput(messages: readonly Envelope[], position?: InputPosition): void | Promise<void>;
  /** The input position last stored for an ingress partition. */
  inputPosition(ingress: string, partition: string): string | undefined;
  /**
   * Applies one unit atomically: removes its consumed messages from the log,
   * writes state, logs produced messages, timers and egress records (assigning
   * their `seq` / `id`). May return a promise when durability needs I/O.
   */
  commit(unit: CommitUnit): void | Promise<void>;
  /** A delayed message came due: atomically drops its timer and logs its message. */
  fireDelayed(message: DelayedMessage): void | Promise<void>;
  /** Forgets egress records their egress has taken. */
  acknowledgeEgress(ids: readonly number[]): void | Promise<void>;
  /**
   * Holds logged messages out of memory: an address over its backlog limit,
   * failing or parked keeps them here, in seq order, until it can take them.
   * They stay accepted (a restart recovers them with the log).
   */
  hold(messages: readonly Envelope[]): void | Promise<void>;
  /** Up to `limit` of the address's held messages, oldest first; they return to the log. */
  takeHeld(target: Address, targetKey: string, limit: number): Envelope[];
  /**
   * Parks an address (a record) or releases it (undefined). Releasing with
   * `dropped` also removes that parked message from the log, in the same write.
   */
  setQuarantine(target: Address, targetKey: string, record: QuarantineRecord | undefined, dropped?: Envelope): void | Promise<void>;
  /** The address's stored state values, expired ones included, for inspection. */
  inspectState(target: Address, targetKey: string): StoredStateValue[];
  /** Addresses holding state, ordered by type then id, after `after` (exclusive). */
  addressesWithState(options: { readonly functionType?: string; readonly after?: Address; readonly limit: number }): Address[];
  /** What to resume from; called once, before the runtime starts processing. */
  recover(): RecoveredState | Promise<RecoveredState>;
  close(): void | Promise<void>;
}
