import { Admin, ConfigResourceTypes } from "@platformatic/kafka";
import { retryDelay } from "../io/kafka/kafka-common.js";

/** Kafka's default delete.retention.ms (one day), used when the broker does not say. */
const KAFKA_DEFAULT_MS = 86_400_000;

/**
 * How long the broker keeps a tombstone of `topic` once compaction reached it
 * (`delete.retention.ms`): a worker's local cache older than this may miss a
 * deletion that the changelog after the cache's offset no longer shows.
 */
export async function tombstoneRetentionMs(topic: string, brokers: string[], clientId: string): Promise<number> {
  const admin = new Admin({ clientId, bootstrapBrokers: brokers, retries: 2, retryDelay });
  try {
    const [description] = await admin.describeConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic, configurationKeys: ["delete.retention.ms"] }] });
    const value = Number(description?.configs.find((c) => c.name === "delete.retention.ms")?.value);
    return Number.isFinite(value) && value >= 0 ? value : KAFKA_DEFAULT_MS;
  } finally {
    await admin.close().catch(() => undefined);
  }
}
