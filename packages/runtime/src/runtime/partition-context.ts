import type { StateStore } from "../store/state-store.js";
import type { DelayedMessageService } from "./delayed-message-service.js";
import type { PartitionProcessor } from "./partition-processor.js";

/**
 * Everything one partition of the message log needs while this process owns
 * it: the processor consuming its log, the state backend it reads and commits
 * to, and the timers of the addresses it holds. A context is opened when the
 * partition is assigned to this process and closed when it is revoked. In the
 * embedded mode every partition is assigned at start and the contexts share
 * one store; in the cluster mode each context has its own Kafka-backed store.
 */
export interface PartitionContext {
  readonly partition: number;
  readonly processor: PartitionProcessor;
  readonly store: StateStore;
  /** Delayed messages sent by this partition's addresses (they fire here, on the sender's partition). */
  readonly timers: DelayedMessageService;
  /** Stops processing and timers of this partition; in-flight outcomes are dropped (never committed). */
  close(): Promise<void>;
}
