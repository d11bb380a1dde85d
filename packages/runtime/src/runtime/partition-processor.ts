import { EddyError, formatAddress } from "@eddy/sdk";
import type { BatchOutcome, Invocation, InvocationBatch } from "@eddy/sdk";
import type { Logger } from "../log/logger.js";
import type { RuntimeStats } from "../observability/runtime-stats.js";
import { errorReason, invocationSpan, stampTrace } from "../observability/invocation-tracing.js";
import type { Tracing } from "../observability/tracing.js";
import type { CommitUnit } from "../store/commit-unit.js";
import type { StateStore } from "../store/state-store.js";
import { AddressMailbox } from "./address-mailbox.js";
import type { Clock } from "./clock.js";
import type { Envelope } from "./envelope.js";
import type { FunctionInvoker } from "./function-invoker.js";
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
  resolve(functionType: string): FunctionInvoker | undefined;
  /** Checks the effects and builds the unit to commit; throws an EddyError for invalid effects. */
  plan(mailbox: AddressMailbox, batch: readonly Envelope[], outcome: BatchOutcome & { kind: "completed" }, invokedAt: number): CommitUnit;
  /** Makes a committed unit's messages, timers and egress records take effect. */
  afterCommit(unit: CommitUnit): void;
}

/** How many invocations one turn of the event loop may start before yielding to I/O. */
const TURN_BUDGET = 2048;
/** How many times a function may answer "incomplete" for one batch before it counts as a failure. */
export const MAX_REGISTRATION_ROUNDS = 3;
/**
 * How many state specs one function type may register. Every spec travels
 * with every request to the function and stays in the store, so a function
 * inventing names on each attempt must not grow them without bound.
 */
export const MAX_STATE_SPECS_PER_FUNCTION = 1000;

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
  /** Addresses whose backlog reached their limit; while > 0, the log is not consumed. */
  #blocking = 0;
  #inFlight = 0;
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

  get blockedAddresses(): number {
    return this.#blocking;
  }

  /** Adds this partition's waiting messages (log and mailbox queues, not batches in flight) per function type. */
  addBacklog(into: Map<string, number>): void {
    for (const m of this.#log) into.set(m.target.type, (into.get(m.target.type) ?? 0) + 1);
    for (const mailbox of this.#mailboxes.values()) {
      if (mailbox.backlog > 0) into.set(mailbox.target.type, (into.get(mailbox.target.type) ?? 0) + mailbox.backlog);
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
    if (this.#blocking === 0 && this.#log.length > 0) this.#consumeLog();
    let budget = TURN_BUDGET;
    while (budget-- > 0 && this.#ready.length > 0) {
      const ready = this.#ready;
      this.#ready = [];
      for (let i = 0; i < ready.length; i++) {
        const mailbox = ready[i]!;
        mailbox.ready = false;
        if (mailbox.inFlight === undefined && mailbox.backlog > 0) this.#start(mailbox);
      }
    }
    if (this.#ready.length > 0 || (this.#blocking === 0 && this.#log.length > 0)) this.#schedule();
  }

  #consumeLog(): void {
    const log = this.#log;
    this.#log = [];
    let i = 0;
    for (; i < log.length; i++) {
      const message = log[i]!;
      let mailbox = this.#mailboxes.get(message.key);
      if (mailbox === undefined) {
        mailbox = new AddressMailbox(message.key, message.target, this.#host.stats.function(message.target.type));
        this.#mailboxes.set(message.key, mailbox);
      }
      mailbox.enqueue(message);
      if (mailbox.inFlight === undefined) {
        if (!mailbox.ready) {
          mailbox.ready = true;
          this.#ready.push(mailbox);
        }
      } else if (!mailbox.blocking) {
        const limit = this.#maxBacklog(mailbox.target.type);
        if (limit > 0 && mailbox.backlog >= limit) {
          mailbox.blocking = true;
          this.#blocking++;
          this.#host.logger.debug(
            { address: formatAddress(mailbox.target), backlog: mailbox.backlog, partition: this.partition },
            "address backlog reached maxNumBatchRequests; pausing partition intake",
          );
          i++;
          break;
        }
      }
    }
    // Messages after a blocking one stay in the log, in order, until the address catches up.
    if (i < log.length) this.#log = log.slice(i).concat(this.#log);
  }

  #maxBacklog(functionType: string): number {
    try {
      return this.#host.resolve(functionType)?.maxBacklog ?? 0;
    } catch {
      return 0; // the invocation reports the provider's error
    }
  }

  #start(mailbox: AddressMailbox): void {
    if (mailbox.blocking) {
      mailbox.blocking = false;
      this.#blocking--;
    }
    mailbox.takeBatch();
    this.#inFlight++;
    this.#invoke(mailbox, 0);
  }

  #invoke(mailbox: AddressMailbox, registrationRound: number): void {
    if (this.#stopped) return;
    const batch = mailbox.inFlight!;
    const host = this.#host;
    if (registrationRound === 0) {
      mailbox.startedAt = performance.now();
      if (host.tracing.enabled) mailbox.span = invocationSpan(host.tracing, mailbox, batch);
    }
    let invoker: FunctionInvoker | undefined;
    try {
      invoker = host.resolve(mailbox.target.type);
    } catch (error) {
      // A provider that throws (e.g. a state type conflict found on first use) fails this address only.
      this.#fail(mailbox, error);
      return;
    }
    if (invoker === undefined) {
      this.#fail(
        mailbox,
        new EddyError("EDDY_UNKNOWN_FUNCTION", `no function is bound for type ${mailbox.target.type}`),
      );
      return;
    }
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
    try {
      outcome = invoker.invoke(request, mailbox.span?.traceparent);
    } catch (error) {
      this.#fail(mailbox, error);
      return;
    }
    if (isPromiseLike<BatchOutcome>(outcome)) {
      outcome.then(
        (o) => this.#onOutcome(mailbox, o, invokedAt, registrationRound),
        (error: unknown) => this.#fail(mailbox, error),
      );
    } else {
      this.#onOutcome(mailbox, outcome, invokedAt, registrationRound);
    }
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
      this.#fail(mailbox, error);
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
          this.#fail(mailbox, error);
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
    mailbox.inFlight = undefined;
    mailbox.attempt = 0;
    this.#inFlight--;
    this.#host.afterCommit(unit);
    if (mailbox.backlog > 0) {
      if (!mailbox.ready) {
        mailbox.ready = true;
        this.#ready.push(mailbox);
      }
      this.#schedule();
    } else {
      this.#mailboxes.delete(mailbox.key);
      if (this.#blocking === 0 && this.#log.length > 0) this.#schedule();
    }
  }

  #fail(mailbox: AddressMailbox, error: unknown): void {
    if (this.#stopped) return;
    this.#endAttempt(mailbox);
    mailbox.stats.failed(errorReason(error));
    if (mailbox.span !== undefined) {
      mailbox.span.fail(error);
      mailbox.span.end();
      mailbox.span = undefined;
    }
    mailbox.attempt++;
    const host = this.#host;
    const delayMs = retryDelay(host.retryPolicy, mailbox.attempt);
    const err = error instanceof Error ? error : new Error(String(error));
    host.logger.error(
      {
        address: formatAddress(mailbox.target),
        partition: this.partition,
        attempt: mailbox.attempt,
        batchSize: mailbox.inFlight?.length ?? 0,
        retryInMs: delayMs,
        code: (err as Partial<EddyError>).code,
        err,
      },
      `invocation of ${formatAddress(mailbox.target)} failed; its messages are kept and retried with backoff`,
    );
    const cancel = host.clock.schedule(delayMs, () => {
      this.#retries.delete(cancel);
      this.#invoke(mailbox, 0);
    });
    this.#retries.add(cancel);
  }
}
