import { decodeKafkaProducerRecord } from "@eddy/protocol";
import type { TypedValue } from "@eddy/sdk";

/** A KafkaProducerRecord as it is produced: its topic, key bytes (none when the key is empty) and value bytes. */
export interface ProducerRecord {
  readonly topic: string;
  readonly key: Buffer | undefined;
  readonly value: Buffer;
}

/**
 * The egress record's KafkaProducerRecord, as the embedded mode's Kafka egress
 * and the cluster's partition transaction both produce it. Decoded on each
 * call: the Kafka egress's check() decodes the record once more before the
 * commit, but remembering that decode (a WeakMap keyed by the record) cost
 * about as much as it saved (docs/performance.md, section 5).
 * @throws ProtocolDecodeError when its bytes are not a KafkaProducerRecord.
 */
export function producerRecordOf(record: TypedValue): ProducerRecord {
  const r = decodeKafkaProducerRecord(record.value ?? new Uint8Array(0));
  return {
    topic: r.topic,
    key: r.key.length === 0 ? undefined : Buffer.from(r.key, "utf8"),
    value: Buffer.from(r.valueBytes.buffer, r.valueBytes.byteOffset, r.valueBytes.length),
  };
}
