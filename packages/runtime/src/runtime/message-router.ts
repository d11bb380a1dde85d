import type { InputPosition } from "../model/ingress.js";
import type { StateStore } from "../store/state-store.js";
import type { Envelope } from "../model/envelope.js";
import type { PartitionContext } from "./partition-context.js";
import { partitionOf } from "./partitioner.js";

/**
 * Where a message goes once it is accepted or committed: to the partition that
 * owns its target address. The embedded mode appends it to the partition's
 * in-process log; the cluster mode's messages travel through the log topic
 * instead, inside the transaction that produced them.
 */
export interface MessageRouter {
  /**
   * True when messages are handed to processors in this process (`route`);
   * false when they travel through a log topic that the owning partition
   * reads, so committed messages need no routing here.
   */
  readonly inProcess: boolean;
  /** The partition of the log that holds messages to this address id. */
  partitionOf(id: string): number;
  /**
   * Makes messages accepted from outside durable in the log, together with the
   * ingress position they were read at; the ingress acknowledges them once
   * this resolves.
   */
  log(messages: readonly Envelope[], position?: InputPosition): void | Promise<void>;
  /** Hands a logged message to the processor of its partition. */
  route(message: Envelope): void;
}

/** Routes to the partitions this process holds, all of them in the embedded mode. */
export class LocalRouter implements MessageRouter {
  readonly inProcess = true;
  readonly #partitions: number;
  readonly #contexts: ReadonlyMap<number, PartitionContext>;
  readonly #store: StateStore;

  constructor(partitions: number, contexts: ReadonlyMap<number, PartitionContext>, store: StateStore) {
    this.#partitions = partitions;
    this.#contexts = contexts;
    this.#store = store;
  }

  log(messages: readonly Envelope[], position?: InputPosition): void | Promise<void> {
    return this.#store.appendInput(messages, position);
  }

  partitionOf(id: string): number {
    return partitionOf(id, this.#partitions);
  }

  route(message: Envelope): void {
    // Only the embedded mode routes in process, and it holds every partition from start to stop.
    this.#contexts.get(partitionOf(message.target.id, this.#partitions))!.processor.append(message);
  }
}
