import type { StateStore } from "../store/state-store.js";
import type { Envelope } from "../model/envelope.js";
import type { MessageRouter } from "./message-router.js";
import type { PartitionContext } from "./partition-context.js";

/** What a placement can ask of the runtime: partitions to open, messages to hand over. */
export interface PlacementHost {
  /**
   * Opens a partition's processor and timers over `store`. Closing the context removes it from the runtime and
   * gives back the backpressure credit of the messages it was handed and did not process (the partition moved).
   */
  open(partition: number, store: StateStore): PartitionContext;
  /** Hands messages read from the partition's log to its processor; waits while the runtime pushes back, until `signal` aborts. */
  admit(context: PartitionContext, messages: readonly Envelope[], signal: AbortSignal): Promise<void>;
}

/**
 * Decides which partitions this process holds and where messages travel. The
 * embedded mode needs none (the runtime holds every partition and routes in
 * process); the cluster mode's placement follows a Kafka consumer group.
 */
export interface PartitionPlacement {
  readonly router: MessageRouter;
  /** Starts holding partitions (called by Runtime.start, after the egresses started). */
  start(host: PlacementHost): Promise<void>;
  /** Commits what is in flight and gives the partitions up (called by Runtime.stop, after the drain). */
  stop(): Promise<void>;
  /** True while the partition is assigned to this process, restored or not (its context may still be opening). */
  holds(partition: number): boolean;
  /** One line for the startup log. */
  describe(): string;
}
