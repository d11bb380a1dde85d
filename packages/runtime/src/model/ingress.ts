import { EddyError } from "@eddy/sdk";
import type { Address, RoutedMessage, TypedValue } from "@eddy/sdk";

/**
 * How far an ingress has read one of its source partitions. Stored atomically
 * with the messages it came with, so after a crash the ingress neither skips
 * nor repeats input.
 */
export interface InputPosition {
  /** The ingress id. */
  readonly ingress: string;
  /** The source partition, e.g. "topic/3" or a Kinesis shard id. */
  readonly partition: string;
  /** Where to resume reading, e.g. the next offset as a decimal string. */
  readonly next: string;
}

/**
 * Why no function can take a message. Ingresses answer by `code` (the
 * playground: 404 for an unknown function, 400 for the rest), never by the text.
 */
export interface TargetProblem {
  readonly code: "EDDY_UNKNOWN_FUNCTION" | "EDDY_INVALID_ADDRESS" | "EDDY_TYPE_MISMATCH" | "EDDY_DECODE_FAILED";
  /** Says what is wrong, without the address (the ingress names where). */
  readonly message: string;
}

/**
 * The refusal of `IngressSink.accept` for a message no function can take at
 * all (its type is unbound, its address invalid); `where` names the message.
 * A problem with the argument alone is no refusal: the message is accepted
 * and fails at its function, which retries or parks it like any failure.
 */
export function acceptRefusal(problem: TargetProblem | undefined, where: string): EddyError | undefined {
  if (problem === undefined || (problem.code !== "EDDY_UNKNOWN_FUNCTION" && problem.code !== "EDDY_INVALID_ADDRESS")) return undefined;
  return new EddyError(problem.code, `${where}: ${problem.message}`);
}

/** A message an ingress hands over, with the W3C traceparent it came with (if any). */
export interface AcceptedMessage extends RoutedMessage {
  readonly traceparent?: string | undefined;
  /** Set only by request/reply ingresses: the reply address (`io.eddy.reply/…`) the function answers to. */
  readonly caller?: Address;
}

/** Takes the answers sent to an ingress's reply addresses, after the invocation that sent them committed. */
export type ReplyReceiver = (to: Address, value: TypedValue) => void;

export interface AcceptOptions {
  /**
   * How long the messages may wait while the runtime pushes back before
   * accept rejects with a retryable EDDY_OVERLOADED that says why (an ingress
   * whose client waits on it, such as an HTTP request). Default: no limit.
   */
  readonly maxWaitMs?: number;
}

/** What an ingress hands its messages to. */
export interface IngressSink {
  /**
   * Accepts messages into the log. Resolves once they are accepted (durable,
   * with a durable store); waits while the runtime pushes back; rejects with
   * EDDY_SHUTTING_DOWN once the runtime stops taking input.
   */
  accept(messages: readonly AcceptedMessage[], position?: InputPosition, options?: AcceptOptions): Promise<void>;
  /**
   * The position last stored with `accept` for this ingress and source
   * partition, so a restarted ingress resumes exactly after what was accepted
   * (e.g. the next Kafka offset). Undefined when none was stored.
   */
  position(ingress: string, partition: string): string | undefined;
  /** Why no function can take this message (unknown type, rejected argument), or undefined. */
  checkTarget(target: Address, argument: TypedValue): TargetProblem | undefined;
  /**
   * Routes committed messages to reply addresses of `replyType` (in the
   * `io.eddy.reply` namespace) to `receive`, for a request/reply ingress.
   */
  receiveReplies?(replyType: string, receive: ReplyReceiver): void;
}

/** A source of messages: the playground HTTP server, a Kafka consumer, a Kinesis reader, ... */
export interface Ingress {
  readonly id: string;
  start(sink: IngressSink): Promise<void>;
  /** Stops taking new records; records already accepted are not affected. */
  stop(): Promise<void>;
  describe(): string;
}
