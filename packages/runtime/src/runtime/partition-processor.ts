import { EddyError, formatAddress } from "@eddy/sdk";
import type { AddressEvent } from "./address-event.js";
import type { BatchOutcome, Invocation, InvocationBatch } from "@eddy/sdk";
import type { Logger } from "../log/logger.js";
import type { RuntimeStats } from "../observability/runtime-stats.js";
import { errorReason, invocationSpan, stampTrace } from "../observability/invocation-tracing.js";
import type { Tracing } from "../observability/tracing.js";
import type { CommitUnit } from "../model/commit-unit.js";
import type { QuarantineRecord } from "../model/quarantine-record.js";
import type { StateStore } from "../store/state-store.js";
import { AddressMailbox } from "./address-mailbox.js";
import type { ProcessorGate } from "./gate-account.js";
import type { Clock } from "./clock.js";
import type { Envelope } from "../model/envelope.js";
import type { Admission, FunctionInvoker } from "./function-invoker.js";
import type { RetryPolicy } from "./retry-policy.js";
import { retryDelay } from "./retry-policy.js";

/** What a processor needs from the runtime around it. */
export interface ProcessorHost {
  readonly store: StateStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly retryPolicy: RetryPolicy;
  /** Counters the processor adds to (read by the metrics exporter). */
  readonly stats: RuntimeStats;
  readonly tracing: Tracing;
  /** The backpressure gate's counts of this partition's messages. */
  readonly gate: ProcessorGate;
  resolve(functionType: string): FunctionInvoker | undefined;
  /** Failed attempts after which a message of this function type is parked. */
  quarantineAfter(functionType: string): number;
  /** Checks the effects and builds the unit to commit; throws an EddyError for invalid effects. */
  plan(mailbox: AddressMailbox, batch: readonly Envelope[], outcome: BatchOutcome & { kind: "completed" }, invokedAt: number): CommitUnit;
  /** Makes a committed unit's messages, timers and egress records take effect. */
  afterCommit(unit: CommitUnit): void;
  /** Logs a change in how an address is doing and tells whoever follows them. */
  addressEvent(event: AddressEvent): void;
}

/**
 * How long one turn of a partition may start invocations before it yields to
 * I/O (admin requests, ingress connections, timers). Counted in time, not in
 * rounds: a round over a thousand busy addresses can take milliseconds, and
 * every partition takes its turn before the event loop polls again.
 */
export const TURN_SLICE_MS = 2;
/** Messages handed to functions between two looks at the clock (a batch counts its messages). */
const CLOCK_EVERY = 32;
/** Log messages handed to mailboxes between two looks at the clock. */
const CONSUME_CLOCK_EVERY = 512;
/** How many times a function may answer "incomplete" for one batch before it counts as a failure. */
export const MAX_REGISTRATION_ROUNDS = 3;
/**
 * How many state specs one function type may register. Every spec travels
 * with every request to the function and stays in the store, so a function
 * inventing names on each attempt must not grow them without bound.
 */
export const MAX_STATE_SPECS_PER_FUNCTION = 1000;
/** Held messages an address without a backlog limit takes back per batch. */
const HELD_REFILL = 1024;

function isPromiseLike<T>(x: unknown): x is PromiseLike<T> {
  return typeof x === "object" && x !== null && typeof (x as PromiseLike<T>).then === "function";
}

/**
 * Consumes one partition of the message log. It groups messages per address,
 * keeps one invocation in flight per address, invokes the function with the
 * address's queued messages as one batch, and commits the batch's effects as
 * one unit before the address's next batch starts.
 */
export class PartitionProcessor {
  readonly partition: number;
  readonly #host: ProcessorHost;
  /** The partition's log: accepted, not yet handed to a mailbox. */
  #log: Envelope[] = [];
  readonly #mailboxes = new Map<string, AddressMailbox>();
  #ready: AddressMailbox[] = [];
  #scheduled = false;
  #inFlight = 0;
  /** Messages to move out of memory into the store's held area, written once per turn. */
  #toHold: Envelope[] = [];
  /** Set by stop(): nothing is invoked, committed or retried any more. */
  #stopped = false;
  /** Cancels the pending retry timers. */
  readonly #retries = new Set<() => void>();

  constructor(partition: number, host: ProcessorHost) {
    this.partition = partition;
    this.#host = host;
  }

  /** Appends a message to this partition's log. */
  append(message: Envelope): void {
    this.#log.push(message);
    this.#schedule();
  }

  get inFlightCount(): number {
    return this.#inFlight;
  }

  /** Addresses with messages held in the store (over their backlog limit, failing or parked). */
  get holdingAddresses(): number {
    let n = 0;
    for (const m of this.#mailboxes.values()) if (m.held > 0) n++;
    return n;
  }

  /** The address's mailbox, when it has messages in memory or in the store. */
  mailbox(key: string): AddressMailbox | undefined {
    return this.#mailboxes.get(key);
  }

  /** Messages for the address not yet processed: in the log, queued, in flight (parked included) and held. */
  backlogOf(key: string): number {
    let n = 0;
    for (const m of this.#log) if (m.key === key) n++;
    const mailbox = this.#mailboxes.get(key);
    if (mailbox !== undefined) n += mailbox.backlog + (mailbox.inFlight?.length ?? 0) + mailbox.held;
    return n;
  }

  get parkedCount(): number {
    let n = 0;
    for (const m of this.#mailboxes.values()) if (m.parked !== undefined) n++;
    return n;
  }

  /** Every parked address of this partition. */
  parked(): { record: QuarantineRecord; waiting: number }[] {
    const out: { record: QuarantineRecord; waiting: number }[] = [];
    // The parked message itself is in flight, so everything else of its backlog waits behind it.
    for (const m of this.#mailboxes.values()) if (m.parked !== undefined) out.push({ record: m.parked, waiting: this.backlogOf(m.key) - 1 });
    return out;
  }

  /** Resumes a parked address after a restart, before the recovered log is appended. */
  restoreParked(record: QuarantineRecord): void {
    const mailbox = new AddressMailbox(record.targetKey, record.target, this.#host.stats.function(record.target.type));
    mailbox.inFlight = [record.message];
    mailbox.attempt = record.attempts;
    mailbox.parked = record;
    mailbox.failure = { firstFailureAt: record.firstFailureAt, lastFailureAt: record.lastFailureAt, error: record.error };
    this.#mailboxes.set(record.targetKey, mailbox);
    this.#inFlight++;
  }

  /** Adds this partition's waiting messages (log and mailbox queues, not batches in flight) per function type. */
  addBacklog(into: Map<string, number>): void {
    for (const m of this.#log) into.set(m.target.type, (into.get(m.target.type) ?? 0) + 1);
    for (const mailbox of this.#mailboxes.values()) {
      const waiting = mailbox.backlog + mailbox.held;
      if (waiting > 0) into.set(mailbox.target.type, (into.get(mailbox.target.type) ?? 0) + waiting);
    }
  }

  /** Stops processing for good: cancels pending retries; in-flight outcomes are dropped. */
  stop(): void {
    this.#stopped = true;
    for (const cancel of this.#retries) cancel();
    this.#retries.clear();
  }

  #schedule(): void {
    if (this.#scheduled || this.#stopped) return;
    this.#scheduled = true;
    setImmediate(() => this.#turn());
  }

  #turn(): void {
    this.#scheduled = false;
    if (this.#stopped) return;
    const deadline = performance.now() + TURN_SLICE_MS;
    if (this.#log.length > 0) this.#consumeLog(deadline);
    let untilClock = CLOCK_EVERY;
    turn: while (this.#ready.length > 0) {
      const ready = this.#ready;
      this.#ready = [];
      for (let i = 0; i < ready.length; i++) {
        const mailbox = ready[i]!;
        mailbox.ready = false;
        if (mailbox.busy || !mailbox.hasWork) continue;
        untilClock -= this.#start(mailbox);
        if (untilClock > 0) continue;
        untilClock = CLOCK_EVERY;
        if (performance.now() >= deadline) {
          // The rest of this round goes first next turn (still marked ready), then what became ready since.
          const rest = ready.slice(i + 1);
          this.#ready = rest.length === 0 ? this.#ready : rest.concat(this.#ready);
          break turn;
        }
      }
    }
    if (this.#ready.length > 0 || this.#log.length > 0) this.#schedule();
  }

  /**
   * Hands the log's messages to their mailboxes. An address over its backlog
   * limit, failing or parked holds its newer messages in the store instead of
   * memory, so it never stops the partition: only its own messages wait.
   * Past `deadline` the rest stays in the log, first in line for the next turn.
   */
  #consumeLog(deadline: number): void {
    const log = this.#log;
    this.#log = [];
    const gate = this.#host.gate;
    for (let i = 0; i < log.length; i++) {
      if (i % CONSUME_CLOCK_EVERY === CONSUME_CLOCK_EVERY - 1 && performance.now() >= deadline) {
        this.#log = log.slice(i).concat(this.#log);
        // Whoever called (a turn, or an admission outside one), the rest is a next turn's.
        this.#schedule();
        break;
      }
      const message = log[i]!;
      let mailbox = this.#mailboxes.get(message.key);
      if (mailbox === undefined) {
        mailbox = new AddressMailbox(message.key, message.target, this.#host.stats.function(message.target.type));
        this.#mailboxes.set(message.key, mailbox);
      }
      if (mailbox.holding || (mailbox.busy && this.#overLimit(mailbox))) {
        if (mailbox.held === 0 && mailbox.failure === undefined && mailbox.parked === undefined) {
          this.#host.logger.debug(
            { address: formatAddress(mailbox.target), backlog: mailbox.backlog, partition: this.partition },
            "address backlog reached maxNumBatchRequests; its newer messages wait in the store",
          );
        }
        mailbox.held++;
        this.#toHold.push(message);
        // A parked address's messages wait for an operator, not for processing: counted nowhere.
        if (mailbox.parked !== undefined) gate.release(1);
        else gate.setAside(1);
        continue;
      }
      mailbox.enqueue(message);
      if (!mailbox.busy && !mailbox.ready) {
        mailbox.ready = true;
        this.#ready.push(mailbox);
      }
    }
    this.#flushHolds();
  }

  #overLimit(mailbox: AddressMailbox): boolean {
    const limit = this.#maxBacklog(mailbox.target.type);
    return limit > 0 && mailbox.backlog >= limit;
  }

  #flushHolds(): void {
    if (this.#toHold.length === 0) return;
    const messages = this.#toHold;
    this.#toHold = [];
    // On failure they are still in the log (a restart recovers them) and the store keeps them findable.
    const failed = (error: unknown): void =>
      this.#host.logger.error({ err: error, partition: this.partition, messages: messages.length }, "could not move held messages to the store's held area; they stay in the log");
    try {
      const holding = this.#host.store.hold(messages);
      if (isPromiseLike<void>(holding)) holding.then(undefined, failed);
    } catch (error) {
      failed(error);
    }
  }

  #maxBacklog(functionType: string): number {
    try {
      return this.#host.resolve(functionType)?.maxBacklog ?? 0;
    } catch {
      return 0; // the invocation reports the provider's error
    }
  }

  #admissionOf(functionType: string): Admission | undefined {
    try {
      return this.#host.resolve(functionType)?.admission;
    } catch {
      return undefined; // the invocation reports the provider's error
    }
  }

  /** Starts the address's next batch; returns how many messages it holds (0: nothing to start; 1 while it waits for admission). */
  #start(mailbox: AddressMailbox): number {
    if (mailbox.held > 0) {
      const limit = this.#maxBacklog(mailbox.target.type);
      const room = (limit > 0 ? limit : HELD_REFILL) - mailbox.backlog;
      if (room > 0) {
        const expected = Math.min(room, mailbox.held);
        const taken = this.#host.store.takeHeld(mailbox.target, mailbox.key, expected);
        this.#host.gate.takeBack(taken.length);
        mailbox.held -= taken.length;
        mailbox.refill(taken);
        if (taken.length < expected) {
          // The store has fewer than counted: never wait for messages that will not come.
          this.#host.logger.error({ address: formatAddress(mailbox.target), expected, found: taken.length }, "held messages missing from the store");
          this.#host.gate.releaseAside(mailbox.held);
          mailbox.held = 0;
        }
      }
    }
    if (mailbox.backlog === 0) return 0;
    this.#inFlight++;
    const admission = this.#admissionOf(mailbox.target.type);
    const waiting = admission?.acquire();
    if (waiting === undefined) {
      mailbox.takeBatch();
      const size = mailbox.inFlight!.length;
      this.#invoke(mailbox, 0, admission);
      return size;
    }
    // The batch forms once the endpoint admits the call: what arrives meanwhile joins it.
    mailbox.admitting = true;
    void waiting.then(() => {
      if (this.#stopped) {
        admission!.release(undefined);
        return;
      }
      // Messages still in the partition's log may be this address's too: they join the batch.
      if (this.#log.length > 0) this.#consumeLog(performance.now() + TURN_SLICE_MS);
      mailbox.admitting = false;
      mailbox.takeBatch();
      this.#invoke(mailbox, 0, admission);
    });
    return 1;
  }

  /** `admitted`: the admission slot this call already holds (taken by #start before the batch formed). */
  #invoke(mailbox: AddressMailbox, registrationRound: number, admitted?: Admission): void {
    if (this.#stopped) {
      admitted?.release(undefined);
      return;
    }
    const batch = mailbox.inFlight!;
    const host = this.#host;
    let invoker: FunctionInvoker | undefined;
    try {
      invoker = host.resolve(mailbox.target.type);
    } catch (error) {
      admitted?.release(undefined);
      this.#beginAttempt(mailbox, batch, registrationRound);
      // A provider that throws (e.g. a state type conflict found on first use) fails this address only.
      this.#fail(mailbox, error);
      return;
    }
    if (invoker === undefined) {
      admitted?.release(undefined);
      this.#beginAttempt(mailbox, batch, registrationRound);
      this.#fail(
        mailbox,
        new EddyError("EDDY_UNKNOWN_FUNCTION", `no function is bound for type ${mailbox.target.type}`),
      );
      return;
    }
    const admission = invoker.admission;
    if (admission !== undefined && admitted === undefined) {
      const waiting = admission.acquire();
      if (waiting !== undefined) {
        void waiting.then(() => this.#invoke(mailbox, registrationRound, admission));
        return;
      }
    }
    this.#beginAttempt(mailbox, batch, registrationRound);
    const invokedAt = host.clock.now();
    const invocations: Invocation[] = new Array<Invocation>(batch.length);
    for (let i = 0; i < batch.length; i++) {
      const m = batch[i]!;
      invocations[i] = { caller: m.caller, argument: m.argument };
    }
    const request: InvocationBatch = {
      target: mailbox.target,
      states: host.store.read(mailbox.target, mailbox.key, invokedAt),
      invocations,
    };
    let outcome: BatchOutcome | PromiseLike<BatchOutcome>;
    const callStarted = admission === undefined ? 0 : performance.now();
    try {
      outcome = invoker.invoke(request, mailbox.span?.traceparent);
    } catch (error) {
      admission?.release(undefined);
      this.#fail(mailbox, error);
      return;
    }
    if (isPromiseLike<BatchOutcome>(outcome)) {
      outcome.then(
        (o) => {
          admission?.release(performance.now() - callStarted);
          this.#onOutcome(mailbox, o, invokedAt, registrationRound);
        },
        (error: unknown) => {
          admission?.release(undefined);
          this.#fail(mailbox, error);
        },
      );
    } else {
      admission?.release(performance.now() - callStarted);
      this.#onOutcome(mailbox, outcome, invokedAt, registrationRound);
    }
  }

  /** Starts timing (and tracing) an attempt; registration rounds belong to the attempt that began them. */
  #beginAttempt(mailbox: AddressMailbox, batch: readonly Envelope[], registrationRound: number): void {
    if (registrationRound !== 0) return;
    mailbox.startedAt = performance.now();
    if (this.#host.tracing.enabled) mailbox.span = invocationSpan(this.#host.tracing, mailbox, batch);
  }

  #onOutcome(mailbox: AddressMailbox, outcome: BatchOutcome, invokedAt: number, registrationRound: number): void {
    if (this.#stopped) return;
    const host = this.#host;
    if (outcome.kind === "incomplete") {
      const known = host.store.specsOf(mailbox.target.type);
      const fresh = new Set(outcome.missing.map((s) => s.name));
      for (const spec of known) fresh.delete(spec.name);
      if (known.length + fresh.size > MAX_STATE_SPECS_PER_FUNCTION) {
        this.#fail(
          mailbox,
          new EddyError(
            "EDDY_TOO_MANY_STATES",
            `function asks to register ${fresh.size} more states, beyond the limit of ${MAX_STATE_SPECS_PER_FUNCTION} per function type (${known.length} registered); nothing was registered`,
          ),
        );
        return;
      }
      const conflicts = host.store.registerSpecs(mailbox.target.type, outcome.missing);
      if (conflicts.length > 0) {
        const c = conflicts[0]!;
        const known = host.store.specsOf(mailbox.target.type).find((s) => s.name === c.name);
        this.#fail(
          mailbox,
          new EddyError(
            "EDDY_TYPE_MISMATCH",
            `function declares state "${c.name}" as ${c.typename}, but it is registered as ${known?.typename ?? "?"}`,
          ),
        );
        return;
      }
      if (registrationRound + 1 >= MAX_REGISTRATION_ROUNDS) {
        this.#fail(
          mailbox,
          new EddyError(
            "EDDY_UNKNOWN_STATE",
            `function still reports missing states (${outcome.missing.map((s) => s.name).join(", ")}) after registering them`,
            // A function being redeployed mid-conversation may answer completely next time.
            { retryable: true },
          ),
        );
        return;
      }
      this.#invoke(mailbox, registrationRound + 1);
      return;
    }
    const commitStarted = this.#endAttempt(mailbox);
    let unit: CommitUnit;
    try {
      unit = host.plan(mailbox, mailbox.inFlight!, outcome, invokedAt);
    } catch (error) {
      this.#fail(mailbox, error);
      return;
    }
    const commitSpan = mailbox.span === undefined ? undefined : stampTrace(host.tracing, mailbox.span, unit);
    let committing: void | Promise<void>;
    try {
      committing = host.store.commit(unit);
    } catch (error) {
      commitSpan?.fail(error);
      commitSpan?.end();
      this.#fail(mailbox, error, false);
      return;
    }
    if (isPromiseLike<void>(committing)) {
      committing.then(
        () => {
          commitSpan?.end();
          this.#committed(mailbox, unit, commitStarted);
        },
        (error: unknown) => {
          commitSpan?.fail(error);
          commitSpan?.end();
          this.#fail(mailbox, error, false);
        },
      );
    } else {
      commitSpan?.end();
      this.#committed(mailbox, unit, commitStarted);
    }
  }

  /** Counts the attempt that just ended; returns the time it ended. */
  #endAttempt(mailbox: AddressMailbox): number {
    const now = performance.now();
    if (mailbox.startedAt !== 0) {
      const stats = mailbox.stats;
      stats.invocations++;
      stats.duration.observeMs(now - mailbox.startedAt);
      mailbox.startedAt = 0;
    }
    return now;
  }

  #committed(mailbox: AddressMailbox, unit: CommitUnit, commitStarted: number): void {
    this.#host.stats.commitDuration.observeMs(performance.now() - commitStarted);
    mailbox.stats.messagesIn += unit.consumed.length;
    mailbox.stats.outEgress += unit.egress.length;
    mailbox.span?.end();
    mailbox.span = undefined;
    const failure = mailbox.failure;
    mailbox.inFlight = undefined;
    this.#inFlight--;
    // Its messages join the count before the consumed ones leave it, so idle() never fires in between.
    this.#host.afterCommit(unit);
    if (failure === undefined) {
      this.#host.gate.release(unit.consumed.length);
    } else {
      this.#host.gate.releaseAside(unit.consumed.length);
      mailbox.failure = undefined;
      this.#host.addressEvent({
        kind: "recovered",
        address: mailbox.target,
        partition: this.partition,
        attempts: mailbox.attempt + 1,
        waiting: mailbox.backlog + mailbox.held,
      });
    }
    mailbox.attempt = 0;
    this.#continueOrForget(mailbox);
  }

  /** After an address's batch is settled: queue its next batch, or forget an address with nothing left. */
  #continueOrForget(mailbox: AddressMailbox): void {
    if (mailbox.hasWork) {
      if (!mailbox.ready) {
        mailbox.ready = true;
        this.#ready.push(mailbox);
      }
      this.#schedule();
    } else {
      this.#mailboxes.delete(mailbox.key);
      if (this.#log.length > 0) this.#schedule();
    }
  }

  /**
   * A failed attempt. The first failure narrows the address to its oldest
   * message (the rest wait in the store, out of the backpressure limit) and
   * logs once; later attempts log at debug. The message is parked after the
   * function type's attempt limit, or at once when the error says retrying
   * cannot help (`retryable: false`). Store failures (`counts: false`) are
   * retried without counting: they are not the message's fault.
   */
  #fail(mailbox: AddressMailbox, error: unknown, counts = true): void {
    if (this.#stopped) return;
    this.#endAttempt(mailbox);
    mailbox.stats.failed(errorReason(error));
    if (mailbox.span !== undefined) {
      mailbox.span.fail(error);
      mailbox.span.end();
      mailbox.span = undefined;
    }
    const host = this.#host;
    const now = host.clock.now();
    const described = describeFailure(error);
    if (counts) mailbox.attempt++;
    const limit = host.quarantineAfter(mailbox.target.type);
    const parkNow = counts && (!described.retryable || mailbox.attempt >= limit);
    const delayMs = parkNow ? 0 : retryDelay(host.retryPolicy, Math.max(1, mailbox.attempt));
    const fields = {
      address: mailbox.target,
      partition: this.partition,
      attempt: mailbox.attempt,
      code: described.code,
      error: described.message,
      retryable: described.retryable,
    };
    if (mailbox.failure === undefined) {
      const rest = mailbox.narrowToHead();
      host.gate.setAside(1 + rest.length);
      if (rest.length > 0) {
        mailbox.held += rest.length;
        for (const m of rest) this.#toHold.push(m);
        this.#flushHolds();
      }
      mailbox.failure = { firstFailureAt: now, lastFailureAt: now, error: described };
      if (!parkNow) host.addressEvent({ kind: "failing", ...fields, retryInMs: delayMs, quarantineAfter: limit });
    } else {
      mailbox.failure.lastFailureAt = now;
      mailbox.failure.error = described;
      if (!parkNow) host.addressEvent({ kind: "retrying", ...fields, retryInMs: delayMs });
    }
    if (parkNow) {
      this.#park(mailbox);
      return;
    }
    const cancel = host.clock.schedule(delayMs, () => {
      this.#retries.delete(cancel);
      this.#invoke(mailbox, 0);
    });
    this.#retries.add(cancel);
  }

  #park(mailbox: AddressMailbox): void {
    const host = this.#host;
    const failure = mailbox.failure!;
    const record: QuarantineRecord = {
      target: mailbox.target,
      targetKey: mailbox.key,
      message: mailbox.inFlight![0]!,
      error: failure.error,
      attempts: mailbox.attempt,
      firstFailureAt: failure.firstFailureAt,
      lastFailureAt: failure.lastFailureAt,
    };
    mailbox.parked = record;
    const address = formatAddress(mailbox.target);
    void this.#durably(host.store.setQuarantine(mailbox.target, mailbox.key, record), address, "park");
    host.addressEvent({
      kind: "parked",
      address: mailbox.target,
      partition: this.partition,
      attempt: mailbox.attempt,
      code: failure.error.code,
      error: failure.error.message,
      retryable: failure.error.retryable,
      waiting: mailbox.backlog + mailbox.held,
    });
    // After the line, so whoever waits for idle() has heard of the parking first.
    // Parked messages wait for an operator: neither the limit nor idle() counts them.
    host.gate.releaseAside(1 + mailbox.held);
  }

  /**
   * Releases a parked address and retries its parked message with the
   * function as it is now; the messages behind it follow in order. Undefined
   * when the address is not parked.
   */
  retryParked(key: string): { record: QuarantineRecord; written: Promise<void> } | undefined {
    const mailbox = this.#mailboxes.get(key);
    const record = mailbox?.parked;
    if (mailbox === undefined || record === undefined) return undefined;
    mailbox.parked = undefined;
    mailbox.attempt = 0;
    mailbox.failure ??= { firstFailureAt: record.firstFailureAt, lastFailureAt: record.lastFailureAt, error: record.error };
    this.#host.gate.addAside(1 + mailbox.held);
    const address = formatAddress(mailbox.target);
    const written = this.#durably(this.#host.store.setQuarantine(mailbox.target, key, undefined), address, "release");
    this.#host.addressEvent({ kind: "released", address: mailbox.target, partition: this.partition, waiting: mailbox.backlog + mailbox.held });
    this.#invoke(mailbox, 0);
    return { record, written };
  }

  /**
   * Discards a parked address's parked message (the log line records its
   * content) and lets the messages behind it proceed. Undefined when the
   * address is not parked.
   */
  dropParked(key: string): { record: QuarantineRecord; written: Promise<void> } | undefined {
    const mailbox = this.#mailboxes.get(key);
    const record = mailbox?.parked;
    if (mailbox === undefined || record === undefined) return undefined;
    mailbox.parked = undefined;
    mailbox.failure = undefined;
    mailbox.inFlight = undefined;
    mailbox.attempt = 0;
    this.#inFlight--;
    this.#host.gate.addAside(mailbox.held);
    const address = formatAddress(mailbox.target);
    const m = record.message;
    const written = this.#durably(this.#host.store.setQuarantine(mailbox.target, key, undefined, m), address, "drop");
    this.#host.addressEvent({
      kind: "dropped",
      address: mailbox.target,
      partition: this.partition,
      dropped: {
        typename: m.argument.typename,
        value: m.argument.value === undefined ? null : Buffer.from(m.argument.value).toString("base64"),
        caller: m.caller === undefined ? null : formatAddress(m.caller),
        seq: m.seq,
      },
      code: record.error.code,
      error: record.error.message,
    });
    this.#continueOrForget(mailbox);
    return { record, written };
  }

  #durably(writing: void | Promise<void>, address: string, what: string): Promise<void> {
    const done = Promise.resolve(writing);
    done.catch((error: unknown) =>
      this.#host.logger.error({ err: error, address, partition: this.partition }, `could not store the quarantine ${what} of ${address}; after a restart it may be parked or retried again`),
    );
    return done;
  }
}

/** What a failure says about itself: Eddy errors carry code and `retryable`; anything else (a function threw) may succeed later. */
function describeFailure(error: unknown): { code: string; message: string; retryable: boolean } {
  if (error instanceof EddyError) return { code: error.code, message: error.message, retryable: error.retryable };
  const message = error instanceof Error ? error.message : String(error);
  return { code: "EDDY_FUNCTION_FAILED", message, retryable: true };
}
