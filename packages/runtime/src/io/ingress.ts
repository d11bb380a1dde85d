import type { Address, RoutedMessage, TypedValue } from "@eddy/sdk";

/** What an ingress hands its messages to. */
export interface IngressSink {
  /**
   * Accepts messages into the log. Resolves once they are accepted (durable,
   * with a durable store); waits while the runtime pushes back; rejects with
   * EDDY_SHUTTING_DOWN once the runtime stops taking input.
   */
  accept(messages: readonly RoutedMessage[]): Promise<void>;
  /** Why no function can take this message (unknown type, rejected argument), or undefined. */
  checkTarget(target: Address, argument: TypedValue): string | undefined;
}

/** A source of messages: the playground HTTP server, a Kafka consumer, a Kinesis reader, ... */
export interface Ingress {
  readonly id: string;
  start(sink: IngressSink): Promise<void>;
  /** Stops taking new records; records already accepted are not affected. */
  stop(): Promise<void>;
  describe(): string;
}
