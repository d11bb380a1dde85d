import { Admin } from "@platformatic/kafka";
import { EddyError } from "@eddy/sdk";
import type { Logger } from "../log/logger.js";
import type { ClusterTopicMetadata } from "@platformatic/kafka";
import { describeError, hasKafkaError, retryDelay } from "../io/kafka/kafka-common.js";
import { Backoff } from "../retry/backoff.js";
import { sleep } from "../retry/sleep.js";

/**
 * The internal topics of one cluster. Both have as many partitions as the
 * message log; partition q of each belongs to the worker that owns log
 * partition q.
 *
 * - `eddy.<cluster>.log`: every message to a function, keyed by the target
 *   address, in partition `partitionOf(id)` (the embedded mode's function).
 * - `eddy.<cluster>.changelog` (compacted): per partition, the state of each
 *   address with the last log offset it consumed, pending timers, the
 *   partition's consumed-log watermark and its ingress positions.
 */
export interface ClusterTopics {
  readonly cluster: string;
  readonly log: string;
  readonly changelog: string;
  readonly partitions: number;
}

export function clusterTopics(cluster: string, partitions: number): ClusterTopics {
  return { cluster, log: `eddy.${cluster}.log`, changelog: `eddy.${cluster}.changelog`, partitions };
}

/** The consumer group whose members share the log partitions. */
export function clusterGroup(cluster: string): string {
  return `eddy.${cluster}`;
}

/**
 * The transactional.id of a worker's producer: one per worker process (a restart gets a new one). Zombies are
 * fenced by the group generation of the offsets each transaction commits, not by this id (see WorkerTransactions).
 */
export function workerTransactionalId(cluster: string, worker: string): string {
  return `eddy.${cluster}.worker.${worker}`;
}

/**
 * Creates the topics on first start. When they exist, their partition count
 * must match: the partition of an address is `hash(id) mod partitions`, so a
 * different count would send messages where their state is not.
 */
export async function ensureClusterTopics(
  topics: ClusterTopics,
  options: { brokers: string[]; replicationFactor: number; logger: Logger; listedWithinMs?: number },
): Promise<void> {
  const admin = new Admin({ clientId: `eddy-${topics.cluster}-admin`, bootstrapBrokers: options.brokers, retries: 2, retryDelay });
  try {
    for (const [topic, configs] of [
      [topics.log, [{ name: "cleanup.policy", value: "delete" }]],
      [topics.changelog, [{ name: "cleanup.policy", value: "compact" }]],
    ] as const) {
      try {
        await admin.createTopics({ topics: [topic], partitions: topics.partitions, replicas: options.replicationFactor, configs: [...configs] });
        options.logger.info({ topic, partitions: topics.partitions, replicationFactor: options.replicationFactor }, `created cluster topic ${topic}`);
      } catch (error) {
        if (!hasKafkaError(error, "TOPIC_ALREADY_EXISTS")) {
          throw new EddyError("EDDY_CLUSTER_FAILED", `cannot create the cluster topic ${topic}: ${describeError(error)}`, { cause: error, retryable: true });
        }
      }
    }
    checkPartitionCounts(topics, await untilTopicsListed(admin, [topics.log, topics.changelog], options.listedWithinMs ?? 30_000));
  } finally {
    await admin.close().catch(() => undefined);
  }
}

/**
 * The metadata of `names` once the broker lists each with a leader for every partition. A topic
 * the controller has just created (by this worker or by another starting at the same moment) is
 * missing from the metadata of the broker answering for a moment, which the client reports as an
 * unknown topic; that is a wait, not a failure. After `withinMs` it is one, retryable: the broker
 * accepted the topics and does not serve them.
 */
export async function untilTopicsListed(admin: Admin, names: readonly string[], withinMs: number): Promise<Map<string, ClusterTopicMetadata>> {
  const deadline = Date.now() + withinMs;
  const backoff = new Backoff();
  for (;;) {
    let missing: string;
    try {
      const metadata = await admin.metadata({ topics: [...names], forceUpdate: true });
      const unled = names.filter((name) => {
        const topic = metadata.topics.get(name);
        return topic === undefined || topic.partitions.some((p) => p === undefined || p.leader < 0);
      });
      if (unled.length === 0) return metadata.topics;
      missing = `${unled.join(" and ")} ${unled.length === 1 ? "has" : "have"} no leader for every partition yet`;
    } catch (error) {
      missing = describeError(error);
    }
    if (Date.now() >= deadline) {
      throw new EddyError(
        "EDDY_CLUSTER_FAILED",
        `the broker accepted the cluster topics ${names.join(", ")} but does not serve them after ${withinMs} ms (${missing}); check the broker's log for the topics' partitions`,
        { retryable: true },
      );
    }
    await sleep(Math.min(backoff.next(), Math.max(0, deadline - Date.now())));
  }
}

function checkPartitionCounts(topics: ClusterTopics, listed: Map<string, ClusterTopicMetadata>): void {
  for (const topic of [topics.log, topics.changelog]) {
    const found = listed.get(topic)?.partitionsCount;
    if (found !== topics.partitions) {
      throw new EddyError(
        "EDDY_CONFIG_INVALID",
        `the cluster topic ${topic} has ${String(found)} partitions, but this worker is configured for ${topics.partitions}; every worker of cluster "${topics.cluster}" must use the partition count the topics were created with (--partitions ${String(found)})`,
      );
    }
  }
}
