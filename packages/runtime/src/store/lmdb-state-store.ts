import { chmodSync, existsSync } from "node:fs";
import { join } from "node:path";
import { open } from "lmdb";
import type { Database, RootDatabase } from "lmdb";
import { EddyError } from "@eddy/sdk";
import type { Address, StateEntry, StateSpec } from "@eddy/sdk";
import type { Envelope } from "../model/envelope.js";
import { addressKey, stateKeyProblem } from "../model/envelope.js";
import type { CommitUnit, DelayedMessage, OutboxRecord } from "../model/commit-unit.js";
import type { RecoveredState, StateStore } from "./state-store.js";
import type { QuarantineRecord, StoredStateValue } from "../model/quarantine-record.js";
import { SpecRegistry } from "./spec-registry.js";
import type { InputPosition } from "../model/ingress.js";
import { FILE_MODE, prepareDirectory, releaseLock } from "./data-directory.js";
import type { DirectoryKind } from "./data-directory.js";

/** Bumped when the layout changes incompatibly; a newer store is refused, never misread. */
export const STORE_FORMAT_VERSION = 2;
/** The longest a group commit waits for more writes of its batch while they keep coming (see #schedule). */
const GROUP_COMMIT_LINGER_MS = 2;
/**
 * The longest a group commit holding an ingress position waits while the
 * messages it logs are being consumed (see #schedule); never longer than the
 * last group commit took, the wait it saves.
 */
const INPUT_LINGER_MAX_MS = 50;
/**
 * The most writes a group commit may hold for the next one to start while it
 * is still being committed and synced (see #startGroupCommit). Small groups
 * are latency-bound (an acknowledgement waits for the previous fsync, then its
 * own); large ones are CPU-bound, and overlapping them would only split the
 * work into more transactions (measured: docs/performance.md, section 7, round 4).
 */
const OVERLAP_MAX_WRITES = 64;
/** An embedded data directory. */
const STORE_DIRECTORY: DirectoryKind = {
  marker: "eddy-store.json",
  format: STORE_FORMAT_VERSION,
  whenDamaged: "Move it away or restore it from an export",
  whenNewer: "run that version, or export with it and import here",
  whenOlder: "move it away to start empty",
};

interface StoredValue {
  readonly t: string;
  readonly v: Uint8Array;
  /** Epoch ms after which the value reads as absent; 0 = never. */
  e: number;
}

/** A message in the durable log: target, caller and typed argument. */
interface LoggedMessage {
  readonly tt: string;
  readonly ti: string;
  readonly ct?: string;
  readonly ci?: string;
  readonly n: string;
  readonly v?: Uint8Array;
  /** The W3C traceparent the message was sent in (added without a format change: older entries lack it). */
  readonly tp?: string;
}

interface LoggedTimer {
  readonly st: string;
  readonly si: string;
  readonly tok: string;
  readonly due: number;
  readonly m: LoggedMessage;
}

/** A parked address: its parked message (still in the log under `seq`) and why. */
interface LoggedQuarantine {
  readonly seq: number;
  readonly m: LoggedMessage;
  readonly code: string;
  readonly msg: string;
  readonly r: boolean;
  readonly n: number;
  readonly f: number;
  readonly l: number;
}

interface LoggedEgress {
  readonly eg: string;
  readonly n: string;
  readonly v?: Uint8Array;
}

/** A message in a snapshot file: readable JSON, bytes in base64. */
export interface SnapshotMessage {
  readonly targetType: string;
  readonly targetId: string;
  readonly callerType?: string;
  readonly callerId?: string;
  readonly typename: string;
  readonly value?: string;
  readonly traceparent?: string;
}

/** One line of a snapshot file (docs/durability.md describes the format). */
export type SnapshotRecord =
  | { readonly t: "specs"; readonly functionType: string; readonly specs: readonly StateSpec[] }
  | { readonly t: "state"; readonly type: string; readonly id: string; readonly name: string; readonly typename: string; readonly value: string; readonly expiresAt: number }
  | ({ readonly t: "message"; readonly seq: number } & SnapshotMessage)
  | { readonly t: "timer"; readonly seq: number; readonly senderType: string; readonly senderId: string; readonly token: string; readonly dueAt: number; readonly message: SnapshotMessage }
  | { readonly t: "egress"; readonly id: number; readonly egress: string; readonly typename: string; readonly value?: string }
  | { readonly t: "position"; readonly ingress: string; readonly partition: string; readonly next: string }
  | {
      readonly t: "quarantine";
      readonly seq: number;
      readonly message: SnapshotMessage;
      readonly code: string;
      readonly error: string;
      readonly retryable: boolean;
      readonly attempts: number;
      readonly firstFailureAt: number;
      readonly lastFailureAt: number;
    }
  /** The next id the store hands out; ids never go back, even across an export and import. */
  | { readonly t: "ids"; readonly next: number };

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

function unbase64(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, "base64"));
}

function loggedToJson(m: LoggedMessage): SnapshotMessage {
  return {
    targetType: m.tt,
    targetId: m.ti,
    ...(m.ct === undefined ? {} : { callerType: m.ct }),
    ...(m.ci === undefined ? {} : { callerId: m.ci }),
    typename: m.n,
    ...(m.v === undefined ? {} : { value: base64(m.v) }),
    ...(m.tp === undefined ? {} : { traceparent: m.tp }),
  };
}

function jsonToLogged(m: SnapshotMessage): LoggedMessage {
  return {
    tt: m.targetType,
    ti: m.targetId,
    ...(m.callerType === undefined ? {} : { ct: m.callerType }),
    ...(m.callerId === undefined ? {} : { ci: m.callerId }),
    n: m.typename,
    ...(m.value === undefined ? {} : { v: unbase64(m.value) }),
    ...(m.traceparent === undefined ? {} : { tp: m.traceparent }),
  };
}

function toLogged(m: Envelope): LoggedMessage {
  const out: { -readonly [K in keyof LoggedMessage]: LoggedMessage[K] } = { tt: m.target.type, ti: m.target.id, n: m.argument.typename };
  if (m.caller !== undefined) {
    out.ct = m.caller.type;
    out.ci = m.caller.id;
  }
  if (m.argument.value !== undefined) out.v = m.argument.value;
  if (m.trace !== undefined) out.tp = m.trace;
  return out;
}

function fromLogged(seq: number, m: LoggedMessage): Envelope {
  const target: Address = { type: m.tt, id: m.ti };
  return {
    target,
    key: addressKey(target),
    caller: m.ct === undefined || m.ci === undefined ? undefined : { type: m.ct, id: m.ci },
    argument: { typename: m.n, value: m.v === undefined ? undefined : new Uint8Array(m.v) },
    seq,
    trace: m.tp,
  };
}

export interface LmdbStateStoreOptions {
  /** The data directory; created when missing unless `mustExist`. */
  readonly path: string;
  /**
   * Open only an existing Eddy data directory, never create one (for
   * `eddy state export`: a mistyped path must not become an empty store).
   */
  readonly mustExist?: boolean;
}

/**
 * The embedded durable store (LMDB). One environment holds function state,
 * registered specs, the log of accepted-but-unprocessed messages, pending
 * delayed messages and egress records not yet taken. Writes are queued in
 * order and run as one transaction with one fsync per group commit (#write),
 * and a write's promise resolves only once it is on disk, so acknowledgements
 * never run ahead of durability.
 */
export class LmdbStateStore implements StateStore {
  readonly path: string;
  readonly #root: RootDatabase;
  readonly #specsDb: Database<StateSpec[], string>;
  readonly #state: Database<StoredValue, string[]>;
  readonly #log: Database<LoggedMessage, number>;
  readonly #timers: Database<LoggedTimer, number>;
  readonly #outbox: Database<LoggedEgress, number>;
  readonly #positions: Database<string, string[]>;
  readonly #meta: Database<number, string>;
  /** Messages held out of memory per address: key [type, id, seq]. */
  readonly #held: Database<LoggedMessage, [string, string, number]>;
  readonly #quarantine: Database<LoggedQuarantine, [string, string]>;
  /** Held messages whose hold is not on disk yet, per address key and seq. */
  readonly #holding = new Map<string, Map<number, Envelope>>();
  /** Seqs taken back from the held area whose move to the log is not on disk yet. */
  readonly #taken = new Set<number>();
  readonly #specs = new SpecRegistry();
  #nextSeq = 1;
  #closed = false;
  /** Writes waiting for the next group commit, the promise they all share and how to settle it. */
  #writes: (() => void)[] = [];
  #groupCommit: Promise<void> | undefined;
  #settle: { resolve: () => void; reject: (error: unknown) => void } | undefined;
  #scheduled = false;
  /** The last group commit handed to LMDB (it settles after every earlier one). */
  #inFlight: Promise<void> | undefined;
  /** A group commit the next one waits for before it starts (see #startGroupCommit). */
  #blocksNext = false;
  /**
   * The number of the last group commit handed to LMDB. Each group commit
   * stores its number (`meta.group`) and first checks that the one before it
   * is there: LMDB runs the next transaction while the previous one is still
   * syncing, and one whose previous transaction failed must write nothing.
   */
  #group = 0;
  /**
   * Log puts of the next group commit, by seq, each with a token naming the put.
   * A removal of the same seq in the same group commit cancels the put instead:
   * a message accepted and consumed before its commit starts never touches the log.
   */
  #logPuts = new Map<number, Envelope>();
  #cancelledLogPuts = 0;
  /** The next group commit holds an ingress position (input from a source that is read on only once it is durable). */
  #holdsPosition = false;
  /** Whether the next group commit holding a position may wait for its input to be consumed (see #schedule). */
  #inputLinger = true;
  /** How long the last group commit took from being handed to LMDB until it was on disk. */
  #lastGroupCommitMs = 0;
  /** The first failed write (a full disk, a file size limit, an I/O error); from then on every write is refused. */
  #failure: EddyError | undefined;

  constructor(options: LmdbStateStoreOptions) {
    this.path = options.path;
    guardLmdbCommitRejections();
    prepareDirectory(this.path, STORE_DIRECTORY, options.mustExist === true);
    try {
      this.#root = open({ path: join(this.path, "data"), maxDbs: 12, compression: false });
      this.#specsDb = this.#root.openDB({ name: "specs" });
      this.#state = this.#root.openDB({ name: "state" });
      // Ids are numbers up to 2^53 in LMDB's ordered key encoding; uint32 keys would wrap after 4 billion ids.
      this.#log = this.#root.openDB({ name: "log" });
      this.#timers = this.#root.openDB({ name: "timers" });
      this.#outbox = this.#root.openDB({ name: "outbox" });
      this.#positions = this.#root.openDB({ name: "positions" });
      this.#meta = this.#root.openDB({ name: "meta" });
      this.#held = this.#root.openDB({ name: "held" });
      this.#quarantine = this.#root.openDB({ name: "quarantine" });
      // LMDB creates its files 0664 (less the umask); nothing in a data directory is for other users.
      for (const file of ["data", "data-lock"]) {
        if (existsSync(join(this.path, file))) chmodSync(join(this.path, file), FILE_MODE);
      }
    } catch (cause) {
      releaseLock(this.path);
      throw new EddyError(
        "EDDY_STORE_INVALID",
        `cannot open the data directory ${this.path}: ${cause instanceof Error ? cause.message : String(cause)}. If it is damaged, restore it from an export (eddy state import) or move it away to start empty`,
        { cause },
      );
    }
    for (const { key, value } of this.#specsDb.getRange()) this.#specs.register(key, value);
    // Ids never go back, even when the log, timers and outbox are empty: egresses
    // (Kafka's progress offset) rely on an id naming one record forever.
    this.#nextSeq = Math.max(this.#nextSeq, this.#meta.get("nextSeq") ?? 1);
    this.#group = this.#meta.get("group") ?? 0;
    for (const db of [this.#log, this.#timers, this.#outbox] as Database<unknown, number>[]) {
      for (const key of db.getKeys({ reverse: true, limit: 1 })) this.#nextSeq = Math.max(this.#nextSeq, key + 1);
    }
  }

  #seq(): number {
    return this.#nextSeq++;
  }

  /**
   * Group commit: the writes queued while the previous group commit is on its
   * way to disk (or, when none is, in one event-loop turn) go into one LMDB
   * transaction, made durable with one fsync; all of them resolve together once
   * it is on disk, and never before an earlier group commit. Thousands of
   * commit units per second then cost a handful of transactions, not
   * thousands, and a message accepted while one group commit is being written
   * is mostly consumed before the next one starts.
   */
  #write(write: () => void): Promise<void> {
    this.#writes.push(write);
    this.#groupCommit ??= new Promise<void>((resolve, reject) => {
      this.#settle = { resolve, reject };
    });
    this.#schedule();
    return this.#groupCommit;
  }

  /**
   * Starts the next group commit after the event loop has run what was
   * already waiting (a partition's turn processing the messages just
   * accepted), and while the batch keeps growing, for up to
   * GROUP_COMMIT_LINGER_MS: commits that consume messages of the same batch
   * cancel their log writes, and the batch's writes share one fsync.
   *
   * A group commit that holds an ingress position (a batch of an ingress that
   * stores where it read, Kafka or Kinesis, which reads on only once it is
   * durable) lingers on while its batch grows and messages it logs are still
   * unconsumed, up to the last group commit's duration (at most
   * INPUT_LINGER_MAX_MS; waiting longer would cost more than the group commit
   * it saves): the partitions' turns that invoke a fetch of hundreds take
   * longer than 2 ms, and each commit that misses the group commit of its
   * input waits for the next one (one more fsync before its egress records
   * leave) and writes the message to the log and removes it again. When the
   * wait runs out with messages still unconsumed, the partitions are behind
   * (a backlog), and the next group commit does not wait. Accepts without a
   * position (HTTP requests, each waiting for its acknowledgement) keep the
   * 2 ms. Only when a group commit starts changes, never what it holds or
   * the order of group commits.
   */
  #schedule(): void {
    if (this.#scheduled || this.#blocksNext) return;
    this.#scheduled = true;
    let since = 0;
    let seen = -1;
    const hop = (): void => {
      // The first hop always waits one more turn: what was queued with the writes runs first.
      if (seen === -1) since = performance.now();
      const waited = performance.now() - since;
      const inputLinger = this.#inputLinger ? Math.min(INPUT_LINGER_MAX_MS, this.#lastGroupCommitMs) : 0;
      const linger = waited < GROUP_COMMIT_LINGER_MS || (this.#holdsPosition && this.#logPuts.size > 0 && waited < inputLinger);
      if (this.#writes.length !== seen && (seen === -1 || linger)) {
        seen = this.#writes.length;
        setImmediate(hop);
        return;
      }
      // Still unconsumed when the wait ran out: the partitions have a backlog and are behind, so waiting
      // only delays the ingress's next read; the next group commit does not wait for its input.
      this.#inputLinger = !(this.#holdsPosition && this.#logPuts.size > 0 && waited >= inputLinger && inputLinger > 0);
      this.#scheduled = false;
      this.#startGroupCommit();
    };
    setImmediate(hop);
  }

  /**
   * Hands the queued writes to LMDB as the next group commit. The one after it
   * forms meanwhile and starts once this one is on disk, or, for a small one
   * (≤ OVERLAP_MAX_WRITES writes), as soon as LMDB has run its writes: LMDB
   * (lmdb-js's overlapping sync) then commits the next transaction while this
   * one syncs, and an acknowledgement waits for about one fsync instead of
   * the one in progress and then its own.
   */
  #startGroupCommit(): void {
    if (this.#blocksNext || this.#writes.length === 0) return;
    const writes = this.#writes;
    const settle = this.#settle!;
    this.#writes = [];
    this.#groupCommit = undefined;
    this.#settle = undefined;
    this.#logPuts = new Map();
    this.#holdsPosition = false;
    const handedAt = performance.now();
    const previous = this.#inFlight;
    this.#blocksNext = true;
    let blocking = true;
    const release = (): void => {
      if (!blocking) return;
      blocking = false;
      this.#blocksNext = false;
      if (this.#writes.length > 0) this.#schedule();
    };
    const ran = (): void => {
      if (writes.length <= OVERLAP_MAX_WRITES) release();
    };
    const own = this.#transaction(writes, ran);
    // Settles after the previous group commit, and fails (with its reason) when it failed: what a
    // group commit's writes depend on is in an earlier one.
    const committing =
      previous === undefined
        ? own
        : Promise.allSettled([previous, own]).then(([before, self]) => {
            if (before.status === "rejected") throw before.reason;
            if (self.status === "rejected") throw self.reason;
          });
    this.#inFlight = committing;
    const done = (): void => {
      if (this.#inFlight === committing) this.#inFlight = undefined;
      release();
      if (this.#writes.length > 0) this.#schedule();
    };
    committing.then(
      () => {
        this.#lastGroupCommitMs = performance.now() - handedAt;
        settle.resolve();
        done();
      },
      (error: unknown) => {
        settle.reject(error);
        done();
      },
    );
  }

  /** Runs the writes as one LMDB transaction (calling `ran` once LMDB runs them); resolves once it is on disk. */
  #transaction(writes: readonly (() => void)[], ran: () => void): Promise<void> {
    if (this.#closed) return Promise.reject(new EddyError("EDDY_SHUTTING_DOWN", `the store at ${this.path} is closed`));
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const group = ++this.#group;
    let intact = true;
    return this.#root
      .transaction(() => {
        ran();
        // The previous group commit's transaction failed (it aborted, so its number is missing):
        // this one must not commit writes that depend on it.
        intact = (this.#meta.get("group") ?? 0) === group - 1;
        if (!intact) return;
        for (const w of writes) w();
        this.#meta.putSync("nextSeq", this.#nextSeq);
        this.#meta.putSync("group", group);
      })
      .then(
        () => {
          if (!intact) throw new EddyError("EDDY_STORE_FAILED", `the store at ${this.path} could not write (an earlier group commit failed); it takes no more input until Eddy is restarted`);
        },
        async (cause: unknown) => {
          const reason = await writeFailureReason(cause);
          // A transaction that fails writes nothing; what committed before stays. Writing on (into a
          // full disk) would only fail again, so the store stops here and says what to do.
          this.#failure ??= new EddyError(
            "EDDY_STORE_FAILED",
            `the store at ${this.path} could not write (${reason}); it takes no more input until Eddy is restarted. Free disk space (or fix the cause) and restart: everything committed before is kept`,
            { cause },
          );
          throw this.#failure;
        },
      );
  }

  /**
   * Queues log puts for the next group commit; the returned write does those
   * a removal queued for the same group commit has not cancelled since. (The
   * message itself names its put: a put of the same seq and message queued
   * again later writes the same record.)
   */
  #putLog(messages: readonly Envelope[]): () => void {
    const puts = this.#logPuts;
    for (const m of messages) puts.set(m.seq, m);
    return () => {
      for (const m of messages) if (puts.get(m.seq) === m) this.#log.putSync(m.seq, toLogged(m));
    };
  }

  /**
   * A log removal for the next group commit: true when that group commit also
   * holds the message's put, which is then cancelled instead, so nothing is
   * written (the transaction's outcome is the same, with two writes fewer);
   * false when the caller's write must remove it.
   */
  #cancelLogPut(seq: number): boolean {
    if (!this.#logPuts.delete(seq)) return false;
    this.#cancelledLogPuts++;
    return true;
  }

  /** Log puts a removal in the same group commit cancelled (a benchmark figure). */
  get cancelledLogPuts(): number {
    return this.#cancelledLogPuts;
  }

  registerSpecs(functionType: string, specs: readonly StateSpec[]): readonly StateSpec[] {
    const { conflicts, added } = this.#specs.register(functionType, specs);
    // Ordered before any later commit by lmdb-js's write queue, so specs are on disk before state that needs them.
    if (added) {
      const all = [...this.#specs.specsOf(functionType)];
      // Part of the next group commit, so on disk before state that needs it; a failure stops the store
      // (#failure), and the commit or input that follows reports it.
      this.#write(() => this.#specsDb.putSync(functionType, all)).catch(() => undefined);
    }
    return conflicts;
  }

  specsOf(functionType: string): readonly StateSpec[] {
    return this.#specs.specsOf(functionType);
  }

  /** Why the store stopped writing, or undefined while it writes. */
  get failure(): EddyError | undefined {
    return this.#failure;
  }

  read(target: Address, _targetKey: string, now: number): StateEntry[] {
    const specs = this.specsOf(target.type);
    const out = new Array<StateEntry>(specs.length);
    for (let i = 0; i < specs.length; i++) {
      const name = specs[i]!.name;
      // LMDB would throw on the key: nothing can be stored under it, and the invocation's commit is refused (planCommit).
      if (stateKeyProblem(target, name) !== undefined) {
        out[i] = { name, value: undefined };
        continue;
      }
      const key = [target.type, target.id, name];
      const stored = this.#state.get(key);
      const live = stored !== undefined && (stored.e === 0 || stored.e > now);
      out[i] = { name, value: live ? { typename: stored.t, value: new Uint8Array(stored.v) } : undefined };
      // An expired value reads as absent; drop it from disk too. Queued before this
      // invocation's own commit, so a value it writes again is not lost.
      if (stored !== undefined && !live) void this.#write(() => this.#state.removeSync(key)).catch(() => undefined);
    }
    return out;
  }

  appendInput(messages: readonly Envelope[], position?: InputPosition): Promise<void> {
    for (const m of messages) m.seq = this.#seq();
    const put = this.#putLog(messages);
    if (position !== undefined) this.#holdsPosition = true;
    return this.#write(() => {
      put();
      if (position !== undefined) this.#positions.putSync([position.ingress, position.partition], position.next);
    });
  }

  inputPosition(ingress: string, partition: string): string | undefined {
    return this.#positions.get([ingress, partition]);
  }

  hold(messages: readonly Envelope[]): Promise<void> {
    // Until the write is on disk, takeHeld finds them here.
    for (const m of messages) {
      let pending = this.#holding.get(m.key);
      if (pending === undefined) {
        pending = new Map();
        this.#holding.set(m.key, pending);
      }
      pending.set(m.seq, m);
    }
    const done = (): void => {
      for (const m of messages) {
        const pending = this.#holding.get(m.key);
        pending?.delete(m.seq);
        if (pending?.size === 0) this.#holding.delete(m.key);
      }
    };
    const inLog = messages.map((m) => !this.#cancelLogPut(m.seq));
    const writing = this.#write(() => {
      for (let i = 0; i < messages.length; i++) {
        const m = messages[i]!;
        if (inLog[i]) this.#log.removeSync(m.seq);
        this.#held.putSync([m.target.type, m.target.id, m.seq], toLogged(m));
      }
    });
    // A failed write leaves them in the log and here, so takeHeld still finds them.
    writing.then(done, () => undefined);
    return writing;
  }

  takeHeld(target: Address, targetKey: string, limit: number): Envelope[] {
    const candidates: Envelope[] = [];
    const range = this.#held.getRange({ start: [target.type, target.id, 0], end: [target.type, target.id, Number.MAX_SAFE_INTEGER], limit: limit + this.#taken.size });
    for (const { key, value } of range) {
      if (!this.#taken.has(key[2])) candidates.push({ ...fromLogged(key[2], value), key: targetKey });
    }
    const pending = this.#holding.get(targetKey);
    if (pending !== undefined) for (const m of pending.values()) if (!this.#taken.has(m.seq)) candidates.push(m);
    candidates.sort((a, b) => a.seq - b.seq);
    const taken = candidates.slice(0, limit);
    if (taken.length === 0) return taken;
    for (const m of taken) this.#taken.add(m.seq);
    // Back into the log, queued after the hold and before any commit that consumes them.
    const moved = (): void => {
      for (const m of taken) this.#taken.delete(m.seq);
    };
    const put = this.#putLog(taken);
    this.#write(() => {
      for (const m of taken) this.#held.removeSync([target.type, target.id, m.seq]);
      put();
    }).then(moved, moved); // on failure they stay held, and a restart recovers them from there
    return taken;
  }

  setQuarantine(target: Address, _targetKey: string, record: QuarantineRecord | undefined, dropped?: Envelope): Promise<void> {
    const key: [string, string] = [target.type, target.id];
    if (record === undefined) {
      const remove = dropped !== undefined && dropped.seq > 0 && !this.#cancelLogPut(dropped.seq);
      return this.#write(() => {
        this.#quarantine.removeSync(key);
        if (remove) this.#log.removeSync(dropped.seq);
      });
    }
    const logged: LoggedQuarantine = {
      seq: record.message.seq,
      m: toLogged(record.message),
      code: record.error.code,
      msg: record.error.message,
      r: record.error.retryable,
      n: record.attempts,
      f: record.firstFailureAt,
      l: record.lastFailureAt,
    };
    return this.#write(() => this.#quarantine.putSync(key, logged));
  }

  inspectState(target: Address): StoredStateValue[] {
    const out: StoredStateValue[] = [];
    for (const { key, value } of this.#state.getRange({ start: [target.type, target.id], end: [target.type, `${target.id}\u0000`] })) {
      if (key[0] !== target.type || key[1] !== target.id || key.length !== 3) continue;
      out.push({ name: key[2]!, typename: value.t, value: new Uint8Array(value.v), expiresAt: value.e });
    }
    return out;
  }

  addressesWithState(options: { readonly functionType?: string; readonly after?: Address; readonly limit: number }): Address[] {
    const out: Address[] = [];
    let start: string[] = options.after !== undefined ? [options.after.type, `${options.after.id}\u0000`] : options.functionType !== undefined ? [options.functionType] : [];
    while (out.length < options.limit) {
      let next: string[] | undefined;
      for (const key of this.#state.getKeys({ start, limit: 1 })) next = key;
      if (next === undefined) break;
      const [type, id] = next as [string, string];
      if (options.functionType !== undefined && type !== options.functionType) break;
      out.push({ type, id });
      // Skip the address's other state names: the next key after every [type, id, *].
      start = [type, `${id}\u0000`];
    }
    return out;
  }

  commit(unit: CommitUnit): Promise<void> {
    for (const m of unit.messages) m.seq = this.#seq();
    for (const op of unit.delayed) if (op.kind === "send") op.message.seq = this.#seq();
    for (const r of unit.egress) r.id = this.#seq();
    const specs = this.#specs.specsOf(unit.functionType);
    const { type, id } = unit.target;
    // Seqs whose log put is not in this group commit (a put that is, is cancelled).
    const removes: number[] = [];
    for (const m of unit.consumed) if (m.seq > 0 && !this.#cancelLogPut(m.seq)) removes.push(m.seq);
    return this.#write(() => {
      for (const seq of removes) this.#log.removeSync(seq);
      for (const m of unit.mutations) {
        const key = [type, id, m.name];
        if (m.kind === "delete") {
          this.#state.removeSync(key);
          continue;
        }
        const spec = this.#specs.spec(unit.functionType, m.name);
        const ttl = spec !== undefined && spec.expireMode !== "none" ? spec.expireAfterMs : 0;
        this.#state.putSync(key, { t: m.value.typename, v: m.value.value ?? new Uint8Array(0), e: ttl > 0 ? unit.invokedAt + ttl : 0 });
      }
      for (const spec of specs) {
        if (spec.expireMode !== "after-invoke" || unit.mutations.some((m) => m.name === spec.name)) continue;
        const key = [type, id, spec.name];
        const stored = this.#state.get(key);
        if (stored !== undefined && stored.e > unit.invokedAt) {
          this.#state.putSync(key, { ...stored, e: unit.invokedAt + spec.expireAfterMs });
        }
      }
      for (const m of unit.messages) this.#log.putSync(m.seq, toLogged(m));
      for (const op of unit.delayed) {
        if (op.kind === "send") {
          const d = op.message;
          this.#timers.putSync(d.seq, { st: d.sender.type, si: d.sender.id, tok: d.cancellationToken, due: d.dueAt, m: toLogged(d.envelope) });
        } else if (op.cancelled !== undefined && op.cancelled.seq > 0) {
          this.#timers.removeSync(op.cancelled.seq);
        }
      }
      for (const r of unit.egress) {
        const logged: { -readonly [K in keyof LoggedEgress]: LoggedEgress[K] } = { eg: r.egress, n: r.value.typename };
        if (r.value.value !== undefined) logged.v = r.value.value;
        this.#outbox.putSync(r.id, logged);
      }
    });
  }

  fireDelayed(message: DelayedMessage): Promise<void> {
    const envelope = message.envelope;
    envelope.seq = this.#seq();
    return this.#write(() => {
      this.#timers.removeSync(message.seq);
      this.#log.putSync(envelope.seq, toLogged(envelope));
    });
  }

  acknowledgeEgress(ids: readonly number[]): Promise<void> {
    return this.#write(() => {
      for (const id of ids) this.#outbox.removeSync(id);
    });
  }

  recover(): RecoveredState {
    const quarantined: QuarantineRecord[] = [];
    const parkedSeqs = new Set<number>();
    for (const { key, value } of this.#quarantine.getRange()) {
      // A record whose message left the log (dropped just before a crash) parks nothing any more.
      if (this.#log.get(value.seq) === undefined) continue;
      const target: Address = { type: key[0], id: key[1] };
      parkedSeqs.add(value.seq);
      quarantined.push({
        target,
        targetKey: addressKey(target),
        message: fromLogged(value.seq, value.m),
        error: { code: value.code, message: value.msg, retryable: value.r },
        attempts: value.n,
        firstFailureAt: value.f,
        lastFailureAt: value.l,
      });
    }
    const messages: Envelope[] = [];
    for (const { key, value } of this.#log.getRange()) if (!parkedSeqs.has(key)) messages.push(fromLogged(key, value));
    for (const { key, value } of this.#held.getRange()) messages.push(fromLogged(key[2], value));
    messages.sort((a, b) => a.seq - b.seq);
    const timers: DelayedMessage[] = [];
    for (const { key, value } of this.#timers.getRange()) {
      const sender: Address = { type: value.st, id: value.si };
      timers.push({
        seq: key,
        sender,
        senderKey: addressKey(sender),
        cancellationToken: value.tok,
        dueAt: value.due,
        envelope: fromLogged(0, value.m),
      });
    }
    const egress: OutboxRecord[] = [];
    for (const { key, value } of this.#outbox.getRange()) {
      egress.push({ id: key, egress: value.eg, value: { typename: value.n, value: value.v === undefined ? undefined : new Uint8Array(value.v) } });
    }
    return { messages, quarantined, timers, egress };
  }

  /** Every record of the store, for `eddy state export` (see snapshot.ts). */
  *snapshot(): Generator<SnapshotRecord> {
    for (const { key, value } of this.#specsDb.getRange()) yield { t: "specs", functionType: key, specs: value };
    for (const { key, value } of this.#state.getRange()) {
      const [type, id, name] = key as [string, string, string];
      yield { t: "state", type, id, name, typename: value.t, value: base64(value.v), expiresAt: value.e };
    }
    for (const { key, value } of this.#log.getRange()) yield { t: "message", seq: key, ...loggedToJson(value) };
    // Held messages are accepted messages too; an import puts them back in the log.
    for (const { key, value } of this.#held.getRange()) yield { t: "message", seq: key[2], ...loggedToJson(value) };
    for (const { value } of this.#quarantine.getRange()) {
      yield {
        t: "quarantine",
        seq: value.seq,
        message: loggedToJson(value.m),
        code: value.code,
        error: value.msg,
        retryable: value.r,
        attempts: value.n,
        firstFailureAt: value.f,
        lastFailureAt: value.l,
      };
    }
    for (const { key, value } of this.#timers.getRange()) {
      yield { t: "timer", seq: key, senderType: value.st, senderId: value.si, token: value.tok, dueAt: value.due, message: loggedToJson(value.m) };
    }
    for (const { key, value } of this.#outbox.getRange()) {
      yield { t: "egress", id: key, egress: value.eg, typename: value.n, ...(value.v === undefined ? {} : { value: base64(value.v) }) };
    }
    for (const { key, value } of this.#positions.getRange()) {
      const [ingress, partition] = key as [string, string];
      yield { t: "position", ingress, partition, next: value };
    }
    yield { t: "ids", next: this.#nextSeq };
  }

  /** Loads snapshot records into this (empty) store in one transaction. */
  async load(records: Iterable<SnapshotRecord>): Promise<number> {
    if (this.#log.getKeysCount() + this.#state.getKeysCount() + this.#specsDb.getKeysCount() > 0) {
      throw new EddyError("EDDY_STORE_INVALID", `${this.path} already holds data; import into an empty data directory`);
    }
    let count = 0;
    await this.#root.transaction(() => {
      for (const r of records) {
        count++;
        switch (r.t) {
          case "specs":
            this.#specsDb.putSync(r.functionType, [...r.specs]);
            this.#specs.register(r.functionType, r.specs);
            break;
          case "state":
            this.#state.putSync([r.type, r.id, r.name], { t: r.typename, v: unbase64(r.value), e: r.expiresAt });
            break;
          case "message":
            this.#log.putSync(r.seq, jsonToLogged(r));
            break;
          case "timer":
            this.#timers.putSync(r.seq, { st: r.senderType, si: r.senderId, tok: r.token, due: r.dueAt, m: jsonToLogged(r.message) });
            break;
          case "egress":
            this.#outbox.putSync(r.id, { eg: r.egress, n: r.typename, ...(r.value === undefined ? {} : { v: unbase64(r.value) }) });
            break;
          case "position":
            this.#positions.putSync([r.ingress, r.partition], r.next);
            break;
          case "ids":
            this.#nextSeq = Math.max(this.#nextSeq, r.next);
            break;
          case "quarantine":
            this.#quarantine.putSync([r.message.targetType, r.message.targetId], {
              seq: r.seq,
              m: jsonToLogged(r.message),
              code: r.code,
              msg: r.error,
              r: r.retryable,
              n: r.attempts,
              f: r.firstFailureAt,
              l: r.lastFailureAt,
            });
            break;
        }
        if ("seq" in r) this.#nextSeq = Math.max(this.#nextSeq, r.seq + 1);
        if (r.t === "egress") this.#nextSeq = Math.max(this.#nextSeq, r.id + 1);
      }
      this.#meta.putSync("nextSeq", this.#nextSeq);
    });
    return count;
  }

  /** Number of addresses × states stored (for tests and benchmarks). */
  get stateEntryCount(): number {
    return this.#state.getKeysCount();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    // Let writes queued before close (acknowledgements of egress records) reach the disk first.
    await this.#inFlight?.catch(() => undefined);
    await this.#groupCommit?.catch(() => undefined);
    this.#closed = true;
    // After a failed write lmdb-js's close waits for a flush that never comes, and would hold the
    // runtime's stop (and the process's exit) for ever; the environment goes with the process.
    if (this.#failure !== undefined) void this.#root.close().catch(() => undefined);
    else await this.#root.close();
    releaseLock(this.path);
  }
}

/**
 * lmdb-js 3.5 rejects promises of its own besides the transaction's (the
 * "Commit failed" error and its `commitError`) that no caller can reach; left
 * unhandled they would crash the process on the first failed write. The
 * failure itself reaches the store through the transaction's rejection, so
 * these are dropped here; any other unhandled rejection is rethrown as Node
 * would (an uncaught exception).
 */
let guarded = false;
function guardLmdbCommitRejections(): void {
  if (guarded) return;
  guarded = true;
  const commitErrors = new WeakSet<object>();
  process.on("unhandledRejection", (reason: unknown) => {
    const commitError = (reason as { commitError?: unknown } | null)?.commitError;
    if (commitError instanceof Promise) {
      commitError.catch((error: unknown) => {
        if (typeof error === "object" && error !== null) commitErrors.add(error);
      });
      return;
    }
    if (typeof reason === "object" && reason !== null && (commitErrors.has(reason) || isLmdbWriteError(reason))) return;
    throw reason;
  });
}

/** The system error lmdb-js raises for a failed commit (thrown from its write.js with a numeric errno code). */
function isLmdbWriteError(error: object): boolean {
  return error instanceof Error && typeof (error as { code?: unknown }).code === "number" && (error.stack ?? "").includes("/lmdb/write.js");
}

/**
 * What made a transaction fail. lmdb-js rejects it with a generic "Commit
 * failed" whose `commitError` promise carries the system error (EIO, EFBIG,
 * ENOSPC); left unhandled, that promise would crash the process.
 */
async function writeFailureReason(cause: unknown): Promise<string> {
  const commitError = (cause as { commitError?: unknown } | null)?.commitError;
  if (commitError instanceof Promise) {
    const detail: unknown = await Promise.race([
      commitError.then(
        () => undefined,
        (error: unknown) => error,
      ),
      new Promise<undefined>((resolve) => setImmediate(() => resolve(undefined))),
    ]);
    if (detail instanceof Error) return detail.message;
  }
  return cause instanceof Error ? cause.message : String(cause);
}
