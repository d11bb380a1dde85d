import type { Address, StateEntry, StateSpec, TypedValue } from "@eddy/sdk";
import type { CommitUnit, DelayedMessage } from "../model/commit-unit.js";
import { SpecRegistry } from "./spec-registry.js";
import type { RecoveredState, StateStore } from "./state-store.js";
import type { InputPosition } from "../model/ingress.js";
import type { Envelope } from "../model/envelope.js";
import type { QuarantineRecord, StoredStateValue } from "../model/quarantine-record.js";

interface StoredValue {
  value: TypedValue;
  /** Epoch ms after which the value reads as absent; 0 = never. */
  expiresAt: number;
}

/**
 * State in process memory: fast and lost on exit. It is the store for tests,
 * benchmarks of the processing path, and `--in-memory` runs.
 */
export class MemoryStateStore implements StateStore {
  readonly #specs: SpecRegistry;
  readonly #values = new Map<string, Map<string, StoredValue>>();

  /** `specs` lets several stores share one registry (the cluster mode's partitions of one worker). */
  constructor(options: { specs?: SpecRegistry } = {}) {
    this.#specs = options.specs ?? new SpecRegistry();
  }

  registerSpecs(functionType: string, specs: readonly StateSpec[]): readonly StateSpec[] {
    return this.#specs.register(functionType, specs).conflicts;
  }

  specsOf(functionType: string): readonly StateSpec[] {
    return this.#specs.specsOf(functionType);
  }

  read(target: Address, targetKey: string, now: number): StateEntry[] {
    const specs = this.specsOf(target.type);
    const values = this.#values.get(targetKey);
    const out: StateEntry[] = new Array<StateEntry>(specs.length);
    for (let i = 0; i < specs.length; i++) {
      const name = specs[i]!.name;
      const stored = values?.get(name);
      const live = stored !== undefined && (stored.expiresAt === 0 || stored.expiresAt > now);
      out[i] = { name, value: live ? stored.value : undefined };
      if (stored !== undefined && !live) values?.delete(name); // expired: reads as absent, so free it
    }
    return out;
  }

  #nextId = 1;
  /** Held messages per address key, in seq order. */
  readonly #held = new Map<string, Envelope[]>();
  readonly #quarantine = new Map<string, QuarantineRecord>();

  /** Nothing to log: memory keeps no log, so acknowledging at once is as safe as it gets. */
  readonly #positions = new Map<string, string>();

  appendInput(messages: readonly Envelope[], position?: InputPosition): void {
    // Seqs order held messages; nothing else reads them in memory.
    for (const m of messages) m.seq = this.#nextId++;
    if (position !== undefined) this.#positions.set(`${position.ingress}\u0000${position.partition}`, position.next);
  }

  hold(messages: readonly Envelope[]): void {
    for (const m of messages) {
      let held = this.#held.get(m.key);
      if (held === undefined) {
        held = [];
        this.#held.set(m.key, held);
      }
      // Usually the newest; a failing batch's tail is older than what arrived meanwhile.
      let i = held.length;
      while (i > 0 && held[i - 1]!.seq > m.seq) i--;
      held.splice(i, 0, m);
    }
  }

  takeHeld(_target: Address, targetKey: string, limit: number): Envelope[] {
    const held = this.#held.get(targetKey);
    if (held === undefined) return [];
    const taken = held.splice(0, limit);
    if (held.length === 0) this.#held.delete(targetKey);
    return taken;
  }

  setQuarantine(_target: Address, targetKey: string, record: QuarantineRecord | undefined, _dropped?: Envelope): void {
    if (record === undefined) this.#quarantine.delete(targetKey);
    else this.#quarantine.set(targetKey, record);
  }

  inspectState(_target: Address, targetKey: string): StoredStateValue[] {
    const values = this.#values.get(targetKey);
    if (values === undefined) return [];
    return [...values].map(([name, v]) => ({ name, typename: v.value.typename, value: v.value.value ?? new Uint8Array(0), expiresAt: v.expiresAt }));
  }

  addressesWithState(options: { readonly functionType?: string; readonly after?: Address; readonly limit: number }): Address[] {
    const after = options.after === undefined ? undefined : `${options.after.type}\u0000${options.after.id}`;
    const keys = [...this.#values.keys()]
      .filter((k) => (options.functionType === undefined || k.startsWith(`${options.functionType}\u0000`)) && (after === undefined || k > after))
      .sort()
      .slice(0, options.limit);
    return keys.map((k) => {
      const at = k.indexOf("\u0000");
      return { type: k.slice(0, at), id: k.slice(at + 1) };
    });
  }

  inputPosition(ingress: string, partition: string): string | undefined {
    return this.#positions.get(`${ingress}\u0000${partition}`);
  }

  fireDelayed(message: DelayedMessage): void {
    message.envelope.seq = this.#nextId++;
  }

  acknowledgeEgress(): void {}

  recover(): RecoveredState {
    return { messages: [], quarantined: [], timers: [], egress: [] };
  }

  commit(unit: CommitUnit): void {
    for (const m of unit.messages) m.seq = this.#nextId++;
    for (const record of unit.egress) record.id = this.#nextId++;
    const specs = this.#specs.specsOf(unit.functionType);
    let values = this.#values.get(unit.targetKey);
    for (const m of unit.mutations) {
      if (m.kind === "delete") {
        values?.delete(m.name);
        continue;
      }
      const spec = this.#specs.spec(unit.functionType, m.name);
      const ttl = spec !== undefined && spec.expireMode !== "none" ? spec.expireAfterMs : 0;
      if (values === undefined) {
        values = new Map();
        this.#values.set(unit.targetKey, values);
      }
      values.set(m.name, { value: m.value, expiresAt: ttl > 0 ? unit.invokedAt + ttl : 0 });
    }
    // Every invocation reads all states, so it refreshes every after-invoke TTL.
    if (values !== undefined) {
      for (const spec of specs) {
        if (spec.expireMode !== "after-invoke") continue;
        const stored = values.get(spec.name);
        if (stored !== undefined && (stored.expiresAt === 0 || stored.expiresAt > unit.invokedAt)) {
          stored.expiresAt = unit.invokedAt + spec.expireAfterMs;
        }
      }
      if (values.size === 0) this.#values.delete(unit.targetKey);
    }
  }

  /** The address's stored values with their expiry (0 = never), expired ones included. */
  *entries(targetKey: string): Generator<[name: string, value: TypedValue, expiresAt: number]> {
    for (const [name, stored] of this.#values.get(targetKey) ?? []) yield [name, stored.value, stored.expiresAt];
  }

  /** Puts a value back as it was stored (restoring from a changelog). */
  load(targetKey: string, name: string, value: TypedValue, expiresAt: number): void {
    let values = this.#values.get(targetKey);
    if (values === undefined) {
      values = new Map();
      this.#values.set(targetKey, values);
    }
    values.set(name, { value, expiresAt });
  }

  /** Drops every value of the address. */
  forget(targetKey: string): void {
    this.#values.delete(targetKey);
  }

  /** Number of addresses holding at least one value (for tests and metrics). */
  get addressCount(): number {
    return this.#values.size;
  }

  close(): void {
    this.#values.clear();
    this.#held.clear();
    this.#quarantine.clear();
  }
}
