import { EddyError } from "@eddy/sdk";
import type { Address, RoutedMessage, TypedValue } from "@eddy/sdk";
import type { KafkaIngressSpec } from "../../config/index.js";
import type { Logger } from "../../log/logger.js";
import type { TargetProblem } from "../../model/ingress.js";

/** Where a Kafka ingress record came from and where its topic routes it. */
export interface IngressRecordSource {
  readonly ingress: string;
  readonly topic: string;
  readonly partition: number;
  readonly route: KafkaIngressSpec["topics"][number];
  readonly checkTarget: (target: Address, argument: TypedValue) => TargetProblem | undefined;
  readonly logger: Logger;
}

/** What became of one record: its messages were added, or it (or some of its targets) was skipped. */
export interface RoutedRecord {
  readonly keyless: boolean;
  /** Targets whose function rejected the value up front. */
  readonly rejected: number;
}

/**
 * Routes one Kafka ingress record to every target of its topic, with the key
 * as id and the raw value bytes, adding the messages to `into`. A record
 * without key, and a target whose function rejects the value up front, would
 * fail forever: they are skipped with an error naming ingress, topic,
 * partition and offset. A target no function serves throws
 * EDDY_UNKNOWN_FUNCTION: the module cannot make progress, so the reader
 * retries (loudly) until the function is bound, losing nothing.
 */
export function routeIngressRecord(source: IngressRecordSource, offset: bigint, key: Buffer | null, value: Buffer | null, into: RoutedMessage[]): RoutedRecord {
  const { ingress, topic, partition, logger } = source;
  if (key === null || key.length === 0) {
    logger.error({ topic, partition, offset: String(offset) }, `Kafka ingress ${ingress}: record at ${topic}/${partition} offset ${offset} has no key; it is skipped (the key is the target function id)`);
    return { keyless: true, rejected: 0 };
  }
  const id = key.toString("utf8");
  const bytes = value ?? Buffer.alloc(0);
  const argument = { typename: source.route.valueType, value: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length) };
  let rejected = 0;
  for (const type of source.route.targets) {
    const target = { type, id };
    const problem = source.checkTarget(target, argument);
    if (problem === undefined) {
      into.push({ target, argument });
    } else if (problem.code === "EDDY_UNKNOWN_FUNCTION") {
      throw new EddyError("EDDY_UNKNOWN_FUNCTION", `Kafka ingress ${ingress}: ${topic}/${partition} at offset ${offset}: ${problem.message}; bind the function or fix the topic's targets`);
    } else {
      rejected++;
      logger.error({ topic, partition, offset: String(offset), target: `${type}/${id}` }, `Kafka ingress ${ingress}: record at ${topic}/${partition} offset ${offset} is skipped: ${problem.message}`);
    }
  }
  return { keyless: false, rejected };
}
