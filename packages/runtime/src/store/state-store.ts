import type { Address, StateEntry, StateSpec } from "@eddy/sdk";
import type { CommitUnit } from "./commit-unit.js";

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
  /** Applies one unit atomically. May return a promise when durability needs I/O. */
  commit(unit: CommitUnit): void | Promise<void>;
  close(): void | Promise<void>;
}
