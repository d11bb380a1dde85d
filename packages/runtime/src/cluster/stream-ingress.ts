import type { EddyError } from "@eddy/sdk";
import type { Ingress, IngressSink } from "../model/ingress.js";
import { partitionOf } from "../runtime/partitioner.js";

/**
 * An ingress with a reader of its own (the Kinesis ingress) that the cluster
 * runs inside partition tasks: the task that owns a stream's log partition
 * (streamPartition) runs an instance reading only that stream, with the
 * task's sink, so what it routes and the shard positions it stores go into
 * that partition's transactions, and the positions move with the partition.
 */
export interface StreamIngress {
  readonly id: string;
  /** The streams it reads. */
  readonly streams: readonly string[];
  /** An ingress of the same spec reading only `streams`. */
  create(streams: readonly string[]): Ingress;
  /** EDDY_CONFIG_INVALID when the module cannot serve what it reads (a target no function serves), checked at the worker's start. */
  problem(checkTarget: IngressSink["checkTarget"]): EddyError | undefined;
}

/**
 * The log partition whose owner reads every shard of `stream`: the log's
 * partition function of the stream name. A whole stream goes to one
 * partition, not each shard to its own: a child shard is read only after its
 * parents (each key's order across a split or merge), which the embedded
 * reader does in-process, and a lineage cannot be mapped stably to one
 * partition by shard (a shard's ancestors leave ListShards with the stream's
 * retention, which would move its position).
 */
export function streamPartition(stream: string, partitions: number): number {
  return partitionOf(stream, partitions);
}
