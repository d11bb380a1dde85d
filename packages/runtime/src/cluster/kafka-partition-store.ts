import { EddyError } from "@eddy/sdk";
import type { Address, StateEntry, StateSpec } from "@eddy/sdk";
import type { CommitUnit, DelayedMessage } from "../model/commit-unit.js";
import { producerRecordOf } from "../io/kafka/producer-record.js";
import type { ProducerRecord } from "../io/kafka/producer-record.js";
import { MemoryStateStore } from "../store/memory-state-store.js";
import type { SpecRegistry } from "../store/spec-registry.js";
import type { RecoveredState, StateStore } from "../store/state-store.js";
import type { QuarantineRecord, StoredStateValue } from "../model/quarantine-record.js";
import type { Envelope } from "../model/envelope.js";
import type { AddressRecord, StoredState, TimerRecord } from "./cluster-records.js";
import type { ParkedRecord } from "./cluster-records.js";
import { addressRecordKey, decodeParked, splitKey, decodeTimer, encodeParked, encodeTimer, parseChangelogKey, positionRecordKey, quarantineRecordKey, sourcePositionKey, timerRecordKey } from "./cluster-records.js";


/** Everything committed to this partition since the last transaction, to go into the next one. */
export interface PendingWork {
  /** Changelog key → JSON value, or null for a tombstone. The newest write of a key wins. */
  readonly changelog: Map<string, string | null>;
  readonly messages: Envelope[];
  /** Records for Kafka egress topics, written in the partition's transaction. */
  readonly egress: ProducerRecord[];
  /** Log offsets whose effects this work includes. */
  readonly consumed: number[];
  readonly waiters: { resolve: () => void; reject: (error: unknown) => void }[];
}

function emptyWork(): PendingWork {
  return { changelog: new Map(), messages: [], egress: [], consumed: [], waiters: [] };
}

/** What the partition held when its changelog was read back. */
export interface RestoredPartition {
  readonly watermark: number;
  readonly timers: DelayedMessage[];
  readonly positions: Map<string, string>;
  /** Parked (quarantined) addresses, as they were when the partition's last owner committed. */
  readonly parked: QuarantineRecord[];
}

/** What a restore collects besides state, per changelog key. */
export interface RestoreInto {
  watermark: number;
  readonly timers: Map<string, DelayedMessage>;
  readonly positions: Map<string, string>;
  readonly parked: Map<string, QuarantineRecord>;
}

/**
 * The state backend of one log partition in the cluster mode. Values live in
 * memory (a MemoryStateStore sharing the worker's spec registry) and are
 * rebuilt from the partition's changelog on assignment. A commit applies its
 * unit in memory at once and queues its changelog records, produced messages,
 * timers and Kafka egress records for the partition's next transaction; the
 * returned promise settles with that transaction. When a transaction fails the
 * whole partition is closed and restored again from Kafka, so the in-memory
 * state never runs ahead of what is committed for longer than that.
 */
export class KafkaPartitionStore implements StateStore {
  readonly partition: number;
  readonly #memory: MemoryStateStore;
  readonly #kafkaEgresses: ReadonlySet<string>;
  readonly #onWork: () => void;
  /** The highest log offset whose effects each address's state includes. */
  readonly #lastOffset = new Map<string, number>();
  /** The log offset of each parked address's parked message: a replay does not hand it to the processor again. */
  readonly #parkedAt = new Map<string, number>();
  #nextTimerSeq = 1;
  #work = emptyWork();
  #closed = false;

  constructor(options: { partition: number; specs: SpecRegistry; kafkaEgresses: ReadonlySet<string>; onWork: () => void }) {
    this.partition = options.partition;
    this.#memory = new MemoryStateStore({ specs: options.specs });
    this.#kafkaEgresses = options.kafkaEgresses;
    this.#onWork = options.onWork;
  }

  /** True when a log message's effects are already in this partition's state (it is a replay). */
  applied(message: Envelope): boolean {
    return (this.#lastOffset.get(message.key) ?? -1) >= message.seq;
  }

  /** True when a log message is the parked message of its (parked) address: the processor holds it already. */
  parked(message: Envelope): boolean {
    return this.#parkedAt.get(message.key) === message.seq;
  }

  /** Applies one changelog record during restore. Throws EDDY_CLUSTER_FAILED on a record it cannot read. */
  restore(key: string, value: Buffer | null, into: RestoreInto): void {
    const parsed = parseChangelogKey(key);
    try {
      switch (parsed.kind) {
        case "address": {
          if (value === null) {
            this.#lastOffset.delete(parsed.targetKey);
            this.#memory.forget(parsed.targetKey);
            return;
          }
          const record = JSON.parse(value.toString()) as AddressRecord;
          this.#lastOffset.set(parsed.targetKey, record.o);
          this.#memory.forget(parsed.targetKey);
          for (const [name, [typename, bytes, expiresAt]] of Object.entries(record.s)) {
            this.#memory.load(parsed.targetKey, name, { typename, value: new Uint8Array(Buffer.from(bytes, "base64")) }, expiresAt);
          }
          return;
        }
        case "timer": {
          if (value === null) into.timers.delete(parsed.key);
          else {
            const timer = decodeTimer(parsed.key, JSON.parse(value.toString()) as TimerRecord);
            into.timers.set(parsed.key, timer);
            if (timer.seq >= this.#nextTimerSeq) this.#nextTimerSeq = timer.seq + 1;
          }
          return;
        }
        case "watermark":
          if (value !== null) into.watermark = Number(value.toString());
          return;
        case "position":
          if (value === null) into.positions.delete(sourcePositionKey(parsed.ingress, parsed.source));
          else into.positions.set(sourcePositionKey(parsed.ingress, parsed.source), value.toString());
          return;
        case "parked": {
          if (value === null) {
            into.parked.delete(parsed.targetKey);
            this.#parkedAt.delete(parsed.targetKey);
            this.#memory.setQuarantine(splitKey(parsed.targetKey), parsed.targetKey, undefined);
            return;
          }
          const record = decodeParked(parsed.targetKey, JSON.parse(value.toString()) as ParkedRecord);
          into.parked.set(parsed.targetKey, record);
          this.#parkedAt.set(parsed.targetKey, record.message.seq);
          this.#memory.setQuarantine(record.target, parsed.targetKey, record);
          return;
        }
        default:
          return;
      }
    } catch (cause) {
      throw new EddyError(
        "EDDY_CLUSTER_FAILED",
        `changelog partition ${this.partition}: record ${JSON.stringify(key)} cannot be read (${cause instanceof Error ? cause.message : String(cause)}); this partition stops, the others go on`,
        { cause },
      );
    }
  }

  registerSpecs(functionType: string, specs: readonly StateSpec[]): readonly StateSpec[] {
    return this.#memory.registerSpecs(functionType, specs);
  }

  specsOf(functionType: string): readonly StateSpec[] {
    return this.#memory.specsOf(functionType);
  }

  read(target: Address, targetKey: string, now: number): StateEntry[] {
    return this.#memory.read(target, targetKey, now);
  }

  appendInput(): void {
    // Cluster input goes through the log topic (KafkaRouter), never into a partition store.
    throw new EddyError("EDDY_CLUSTER_FAILED", "a cluster partition store takes no input directly");
  }

  inputPosition(): string | undefined {
    return undefined;
  }

  commit(unit: CommitUnit): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closedError());
    this.#memory.commit(unit);
    const work = this.#work;
    let last = this.#lastOffset.get(unit.targetKey) ?? -1;
    for (const m of unit.consumed) {
      work.consumed.push(m.seq);
      if (m.seq > last) last = m.seq;
    }
    this.#lastOffset.set(unit.targetKey, last);
    this.#writeAddress(work, unit.targetKey, last);
    for (const m of unit.messages) work.messages.push(m);
    for (const op of unit.delayed) {
      if (op.kind === "send") {
        op.message.seq = this.#nextTimerSeq++;
        work.changelog.set(timerRecordKey(op.message.senderKey, op.message.seq), JSON.stringify(encodeTimer(op.message)));
      } else if (op.cancelled !== undefined && op.cancelled.seq > 0) {
        work.changelog.set(timerRecordKey(op.cancelled.senderKey, op.cancelled.seq), null);
      }
    }
    for (const r of unit.egress) {
      if (!this.#kafkaEgresses.has(r.egress)) continue;
      work.egress.push(producerRecordOf(r.value));
    }
    return this.#settled(work);
  }

  /** Queues the address's changelog record: its state values now and the highest log offset they include. */
  #writeAddress(work: PendingWork, targetKey: string, last: number): void {
    const values: Record<string, StoredState> = {};
    for (const [name, value, expiresAt] of this.#memory.entries(targetKey)) {
      values[name] = [value.typename, Buffer.from(value.value ?? new Uint8Array(0)).toString("base64"), expiresAt];
    }
    work.changelog.set(addressRecordKey(targetKey), JSON.stringify({ o: last, s: values } satisfies AddressRecord));
  }

  fireDelayed(message: DelayedMessage): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closedError());
    const work = this.#work;
    work.changelog.set(timerRecordKey(message.senderKey, message.seq), null);
    work.messages.push(message.envelope);
    return this.#settled(work);
  }

  /** Queues an ingress source position (written with the messages routed from it). */
  position(ingress: string, source: string, next: string, messages: readonly Envelope[]): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closedError());
    const work = this.#work;
    work.changelog.set(positionRecordKey(ingress, source), next);
    for (const m of messages) work.messages.push(m);
    return this.#settled(work);
  }

  /** Takes the work queued since the last call; undefined when there is none. */
  drain(): PendingWork | undefined {
    const work = this.#work;
    if (work.waiters.length === 0 && work.changelog.size === 0) return undefined;
    this.#work = emptyWork();
    return work;
  }

  get hasWork(): boolean {
    return this.#work.waiters.length > 0;
  }

  acknowledgeEgress(): void {}

  // Held messages live in this worker's memory only: a move or restart replays them from the log.
  hold(messages: readonly Envelope[]): void {
    this.#memory.hold(messages);
  }

  takeHeld(target: Address, targetKey: string, limit: number): Envelope[] {
    return this.#memory.takeHeld(target, targetKey, limit);
  }

  /**
   * Parks or releases an address in the partition's next transaction (the changelog's `q` record), so the
   * partition's next owner restores it parked. A dropped message counts as consumed: its address's last offset
   * moves past it and the watermark may pass it.
   */
  setQuarantine(target: Address, targetKey: string, record: QuarantineRecord | undefined, dropped?: Envelope): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closedError());
    this.#memory.setQuarantine(target, targetKey, record);
    const work = this.#work;
    if (record === undefined) this.#parkedAt.delete(targetKey);
    else this.#parkedAt.set(targetKey, record.message.seq);
    work.changelog.set(quarantineRecordKey(targetKey), record === undefined ? null : JSON.stringify(encodeParked(record)));
    if (dropped !== undefined) {
      work.consumed.push(dropped.seq);
      const last = Math.max(this.#lastOffset.get(targetKey) ?? -1, dropped.seq);
      this.#lastOffset.set(targetKey, last);
      this.#writeAddress(work, targetKey, last);
    }
    return this.#settled(work);
  }

  inspectState(target: Address, targetKey: string): StoredStateValue[] {
    return this.#memory.inspectState(target, targetKey);
  }

  addressesWithState(options: { readonly functionType?: string; readonly after?: Address; readonly limit: number }): Address[] {
    return this.#memory.addressesWithState(options);
  }

  recover(): RecoveredState {
    return { messages: [], quarantined: [], timers: [], egress: [] };
  }

  /** Rejects queued work (it was never committed); later commits are refused. */
  close(): void {
    this.#closed = true;
    const work = this.#work;
    this.#work = emptyWork();
    const error = new EddyError("EDDY_SHUTTING_DOWN", `partition ${this.partition} was closed before its transaction`, { retryable: true });
    for (const w of work.waiters) w.reject(error);
  }

  #closedError(): EddyError {
    return new EddyError("EDDY_SHUTTING_DOWN", `partition ${this.partition} was revoked`, { retryable: true });
  }

  #settled(work: PendingWork): Promise<void> {
    const done = new Promise<void>((resolve, reject) => work.waiters.push({ resolve, reject }));
    this.#onWork();
    return done;
  }
}
