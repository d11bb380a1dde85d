import type { Address } from "../core/address.js";
import { EddyError } from "../core/errors.js";
import type { Type } from "../types/type.js";
import type { DelayedAction, EgressRecord, OutgoingMessage } from "./invocation-batch.js";
import { message } from "./message-builders.js";
import type { DeclaredValue, StateDeclarations } from "./value-spec.js";

/**
 * The persisted values of the invoked address, one property per declared state.
 * Reading gives the current value (undefined when absent or expired); assigning
 * changes it; assigning undefined deletes it. Changes become durable together
 * with the messages the invocation sends, or not at all.
 */
export type Storage<S extends StateDeclarations> = { -readonly [K in keyof S]: DeclaredValue<S[K]> | undefined };

/** What a function can do while it handles one message. */
export interface Context<S extends StateDeclarations = StateDeclarations> {
  /** The address being invoked. */
  readonly self: Address;
  /** The function that sent the message, or undefined for ingress messages. */
  readonly caller: Address | undefined;
  readonly storage: Storage<S>;
  /**
   * Sends a message to a function. It is delivered after this invocation's
   * effects commit, exactly once, after the messages this address sent before.
   */
  send(message: OutgoingMessage): void;
  /**
   * Sends a message after `delayMs` milliseconds (processing time). With a
   * cancellation token, the sender (and only it) can cancel it until it fires;
   * a token may be pending only once per sender. Delays longer than
   * `MAX_DELAY_MS` (100 years) throw EDDY_INVALID_DELAY.
   */
  sendAfter(delayMs: number, message: OutgoingMessage, cancellationToken?: string): void;
  /** Cancels this address's pending delayed message with the token; a no-op when none is pending. */
  cancelDelayedMessage(cancellationToken: string): void;
  /** Emits a record to an egress once this invocation commits. */
  sendEgress(record: EgressRecord): void;
  /**
   * Answers the message being handled: sends `value` to its caller, as
   * `ctx.send` would, after this invocation's effects commit. For a message
   * from a request/reply ingress (`POST` with `requestReply` configured) the
   * caller is the waiting HTTP request, which gets `value` as its response
   * body; for a message from another function it is an ordinary message to
   * that function. Without a caller (a fire-and-forget ingress message) there
   * is nobody to answer and nothing is sent. Official StateFun SDK functions
   * do the same by sending to `context.caller`.
   *
   * @example
   * fn(ctx, msg) {
   *   const seen = (ctx.storage.seen ?? 0) + 1;
   *   ctx.storage.seen = seen;
   *   ctx.reply({ greeting: `Hello #${seen}` }, GreetingType);
   * }
   */
  reply<T>(value: T, type: Type<T>): void;
}

/**
 * The longest delay `sendAfter` takes: 100 years. Longer ones (2^62 ms from a
 * confused caller) are refused, so a due time always fits a date and a timer.
 */
export const MAX_DELAY_MS = 100 * 365.25 * 24 * 60 * 60 * 1000;

/** The mutable context one batch runs with; the caller changes per message. */
export class InvocationContext implements Context<StateDeclarations> {
  caller: Address | undefined = undefined;
  readonly messages: OutgoingMessage[] = [];
  readonly delayed: DelayedAction[] = [];
  readonly egress: EgressRecord[] = [];

  constructor(
    readonly self: Address,
    readonly storage: Storage<StateDeclarations>,
  ) {}

  send(message: OutgoingMessage): void {
    this.messages.push(message);
  }

  sendAfter(delayMs: number, message: OutgoingMessage, cancellationToken = ""): void {
    if (!Number.isFinite(delayMs) || delayMs < 0) {
      throw new EddyError("EDDY_INVALID_DELAY", `sendAfter delay must be a finite number of ms ≥ 0, got ${delayMs}`);
    }
    if (delayMs > MAX_DELAY_MS) {
      throw new EddyError("EDDY_INVALID_DELAY", `sendAfter delay of ${delayMs} ms is longer than the limit of ${MAX_DELAY_MS} ms (100 years)`);
    }
    this.delayed.push({
      kind: "send",
      delayMs: Math.floor(delayMs),
      target: message.target,
      argument: message.argument,
      cancellationToken,
    });
  }

  cancelDelayedMessage(cancellationToken: string): void {
    if (cancellationToken.length === 0) {
      throw new EddyError("EDDY_INVALID_DELAY", "cancelDelayedMessage needs a non-empty cancellation token");
    }
    this.delayed.push({ kind: "cancel", cancellationToken });
  }

  sendEgress(record: EgressRecord): void {
    this.egress.push(record);
  }

  reply<T>(value: T, type: Type<T>): void {
    if (this.caller === undefined) return;
    this.messages.push(message({ to: this.caller, value, type }));
  }
}
