import { EddyError } from "@eddy/sdk";

/** How a worker joins its cluster (`eddy run --cluster … --bootstrap …`). Kept free of the Kafka client, which loads only when used. */
export interface ClusterSettings {
  /** The cluster name: topics `eddy.<name>.*`, consumer group `eddy.<name>`. */
  readonly cluster: string;
  readonly brokers: string[];
  /** Partitions of the log and changelog topics. Default 32. */
  readonly partitions?: number;
  /** Replication factor of topics Eddy creates. Default 1 (a local broker); use 3 in production. */
  readonly replicationFactor?: number;
  /** Group session timeout: how long a silent worker keeps its partitions. Default 6 s, the broker's smallest by default (group.min.session.timeout.ms); Kafka clients' 45 s would make failover slow. */
  readonly sessionTimeoutMs?: number;
  /** The worker's local cache of its partitions' changelogs (`--data-dir`); none when undefined (every restore reads the changelog). */
  readonly dataDir?: string;
  /** Transaction timeout of the partition producers. Default 10 s. */
  readonly transactionTimeoutMs?: number;
}

const CLUSTER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;

export function checkClusterName(name: string): void {
  if (!CLUSTER_NAME.test(name)) {
    throw new EddyError(
      "EDDY_CONFIG_INVALID",
      `--cluster "${name}": a cluster name is 1 to 100 letters, digits, "_" or "-", starting with a letter or digit (it names the topics eddy.<cluster>.*)`,
    );
  }
}
