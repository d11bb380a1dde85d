import type { Address, OutgoingMessage, StateMutation, TypedValue } from "@eddy/sdk";
import type { Envelope } from "./envelope.js";

/** A delayed message as the runtime keeps it: under its sender, until it fires or is cancelled. */
export interface DelayedMessage {
  readonly sender: Address;
  readonly senderKey: string;
  /** Empty when it cannot be cancelled. */
  readonly cancellationToken: string;
  readonly dueAt: number;
  readonly envelope: Envelope;
  /** Key of the timer in the store; assigned when its unit commits. */
  seq: number;
}

/** An egress record between its commit and the moment its egress has taken it. */
export interface OutboxRecord {
  /** Assigned when the unit commits; egresses acknowledge records by id. */
  id: number;
  /** The egress id, `namespace/name`. */
  readonly egress: string;
  readonly value: TypedValue;
}

export type DelayedOperation =
  | { readonly kind: "send"; readonly message: DelayedMessage }
  | {
      readonly kind: "cancel";
      readonly senderKey: string;
      readonly cancellationToken: string;
      /** The pending message the cancel removes, when there is one. */
      readonly cancelled: DelayedMessage | undefined;
    };

/**
 * Everything one invocation of one address changed, applied as one unit: the
 * input messages it consumed, its state changes, the messages, delayed
 * messages and egress records it produced. A store makes a unit durable
 * atomically (the embedded store later batches units into one transaction);
 * nothing of a unit is visible before it commits.
 */
export interface CommitUnit {
  readonly target: Address;
  readonly targetKey: string;
  readonly functionType: string;
  /** When the invocation ran (processing time); refreshes after-invoke TTLs. */
  readonly invokedAt: number;
  readonly consumed: readonly Envelope[];
  readonly mutations: readonly StateMutation[];
  readonly messages: readonly Envelope[];
  /** Delayed sends and cancellations, in the order the function made them. */
  readonly delayed: readonly DelayedOperation[];
  readonly egress: readonly OutboxRecord[];
  /** The traceparent of the invocation that produced it (its egress delivery continues that trace). */
  trace?: string | undefined;
  /**
   * Messages to reply addresses (`io.eddy.reply/…`): answers to waiting
   * request/reply calls, handed to their ingress after the commit. Stores do
   * not persist them: the HTTP request they answer does not outlive the
   * process, so after a crash there is nobody to hand them to.
   */
  readonly replies?: readonly OutgoingMessage[];
}
