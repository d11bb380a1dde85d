import { ListOffsetTimestamps } from "@platformatic/kafka";
import type { Consumer } from "@platformatic/kafka";
import type { Address, RoutedMessage, TypedValue } from "@eddy/sdk";
import type { TargetProblem } from "../model/ingress.js";
import type { KafkaIngressSpec } from "../config/index.js";
import type { Logger } from "../log/logger.js";
import type { Envelope } from "../model/envelope.js";
import { envelope } from "../model/envelope.js";
import type { ReadResult } from "./log-reader.js";
import { sourcePositionKey } from "./cluster-records.js";
import { routeIngressRecord } from "../io/kafka/ingress-record.js";
import { sleep } from "../retry/sleep.js";

/** Messages routed from one read of one source partition, and where to read next. */
export interface IngressRead {
  readonly ingress: string;
  /** "topic/partition" */
  readonly source: string;
  readonly positionKey: string;
  readonly next: string;
  readonly messages: Envelope[];
}

/**
 * A Kafka ingress of a cluster. Source partition s of its topics is read by
 * the owner of log partition `s mod partitions`: the routed messages and the
 * source position go into that log partition's transaction, so the cluster as
 * a whole reads each source record exactly once, and a source partition moves
 * with its log partition.
 */
export class IngressSource {
  readonly id: string;
  readonly #spec: KafkaIngressSpec;
  readonly #consumer: Consumer;
  readonly #partitions: number;
  readonly #logger: Logger;
  readonly #checkTarget: (target: Address, argument: TypedValue) => TargetProblem | undefined;
  #turn = 0;

  constructor(options: {
    spec: KafkaIngressSpec;
    consumer: Consumer;
    partitions: number;
    logger: Logger;
    checkTarget: (target: Address, argument: TypedValue) => TargetProblem | undefined;
  }) {
    this.#spec = options.spec;
    this.id = options.spec.id;
    this.#consumer = options.consumer;
    this.#partitions = options.partitions;
    this.#logger = options.logger.child({ ingress: options.spec.id });
    this.#checkTarget = options.checkTarget;
  }

  /**
   * Reads the next batch of one of the source partitions that log partition `owner` reads, with `readPartition` (the
   * worker's SharedFetch); undefined when none had records.
   */
  async read(
    owner: number,
    readPartition: (topic: string, partition: number, from: bigint) => Promise<ReadResult>,
    position: (key: string) => string | undefined,
    signal: AbortSignal,
  ): Promise<IngressRead | undefined> {
    const sources = await this.#sourcesOf(owner);
    if (sources.length === 0) {
      await sleep(1000, signal);
      return undefined;
    }
    const { topic, partition } = sources[this.#turn++ % sources.length]!;
    const source = `${topic}/${partition}`;
    const positionKey = sourcePositionKey(this.id, source);
    const stored = position(positionKey);
    const from = stored === undefined ? await this.#startOffset(topic, partition) : BigInt(stored);
    const result = await readPartition(topic, partition, from);
    if (result.next === from) return undefined;
    const route = this.#spec.topics.find((t) => t.topic === topic)!;
    const routed: RoutedMessage[] = [];
    const origin = { ingress: this.id, topic, partition, route, checkTarget: this.#checkTarget, logger: this.#logger };
    for (const record of result.records) routeIngressRecord(origin, record.offset, record.key, record.value, routed);
    const messages = routed.map((m) => envelope(m.target, m.argument, undefined));
    return { ingress: this.id, source, positionKey, next: String(result.next), messages };
  }

  async #startOffset(topic: string, partition: number): Promise<bigint> {
    const latest = this.#spec.startupPosition.type === "latest";
    const offsets = await this.#consumer.listOffsets({
      topics: [topic],
      partitions: { [topic]: [partition] },
      timestamp: latest ? ListOffsetTimestamps.LATEST : ListOffsetTimestamps.EARLIEST,
    });
    return offsets.get(topic)?.[partition] ?? 0n;
  }

  async #sourcesOf(owner: number): Promise<{ topic: string; partition: number }[]> {
    const topics = this.#spec.topics.map((t) => t.topic);
    const metadata = await this.#consumer.metadata({ topics, autocreateTopics: false });
    const out: { topic: string; partition: number }[] = [];
    for (const topic of topics) {
      const count = metadata.topics.get(topic)?.partitionsCount ?? 0;
      for (let s = 0; s < count; s++) if (s % this.#partitions === owner) out.push({ topic, partition: s });
    }
    return out;
  }
}
