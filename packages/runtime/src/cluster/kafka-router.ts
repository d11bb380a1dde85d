import { Producer } from "@platformatic/kafka";
import { EddyError } from "@eddy/sdk";
import type { InputPosition } from "../model/ingress.js";
import type { Envelope } from "../model/envelope.js";
import type { MessageRouter } from "../runtime/message-router.js";
import { partitionOf } from "../runtime/partitioner.js";
import { closeQuietly, describeError, retryDelay } from "../io/kafka/kafka-common.js";
import { encodeLogMessage } from "./cluster-records.js";
import type { ClusterTopics } from "./cluster-topics.js";

/**
 * The cluster mode's router: messages accepted by this worker (the playground
 * ingress, `Runtime.send`) are produced to the log topic, in the partition of
 * their target, by an idempotent producer; `log` resolves once the broker has
 * acknowledged them (acks=all). Messages functions send go into their
 * partition's transaction instead, so `route` has nothing to do.
 */
export class KafkaRouter implements MessageRouter {
  readonly inProcess = false;
  readonly #topics: ClusterTopics;
  readonly #producer: Producer<Buffer, Buffer, Buffer, Buffer>;

  constructor(topics: ClusterTopics, brokers: string[], clientId: string) {
    this.#topics = topics;
    this.#producer = new Producer({
      clientId,
      bootstrapBrokers: brokers,
      idempotent: true,
      producerId: -1n,
      producerEpoch: -1,
      acks: -1,
      retries: 5,
      retryDelay,
      autocreateTopics: false,
    });
  }

  partitionOf(id: string): number {
    return partitionOf(id, this.#topics.partitions);
  }

  async log(messages: readonly Envelope[], position?: InputPosition): Promise<void> {
    if (position !== undefined) {
      // Ingresses with positions (Kafka) are read by the partitions themselves in the cluster mode.
      throw new EddyError("EDDY_CONFIG_INVALID", `ingress ${position.ingress} cannot store positions in the cluster mode`);
    }
    try {
      await this.#producer.send({
        messages: messages.map((m) => {
          const encoded = encodeLogMessage(m);
          return { topic: this.#topics.log, partition: this.partitionOf(m.target.id), key: encoded.key, value: encoded.value ?? Buffer.alloc(0), headers: encoded.headers };
        }),
      });
    } catch (cause) {
      throw new EddyError("EDDY_CLUSTER_FAILED", `could not write ${messages.length} message(s) to ${this.#topics.log}: ${describeError(cause)}; nothing was accepted, retry later`, {
        cause,
        retryable: true,
      });
    }
  }

  route(): void {}

  close(): Promise<void> {
    return closeQuietly(this.#producer);
  }
}
