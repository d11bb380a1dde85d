import type { EgressRecord } from "../function/invocation-batch.js";
import { checkTypeName } from "../core/type-name.js";
import type { Type } from "../types/type.js";
import { utf8Encoder, varintLength, writeVarint } from "../types/wire.js";

export const KAFKA_PRODUCER_RECORD_TYPENAME = "type.googleapis.com/io.statefun.sdk.egress.KafkaProducerRecord";
export const KINESIS_EGRESS_RECORD_TYPENAME = "type.googleapis.com/io.statefun.sdk.egress.KinesisEgressRecord";

/** Encodes string and bytes fields of a flat protobuf message, skipping empty ones as proto3 does. */
function encodeFields(fields: readonly (readonly [number, Uint8Array])[]): Uint8Array {
  let size = 0;
  for (const [, bytes] of fields) if (bytes.length > 0) size += 1 + varintLength(bytes.length) + bytes.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const [field, bytes] of fields) {
    if (bytes.length === 0) continue;
    out[at++] = (field << 3) | 2;
    at = writeVarint(out, at, bytes.length);
    out.set(bytes, at);
    at += bytes.length;
  }
  return out;
}

function valueBytes<T>(value: T, type: Type<T> | undefined): Uint8Array {
  if (type !== undefined) return type.serialize(value);
  if (value instanceof Uint8Array) return value;
  if (typeof value === "string") return utf8Encoder.encode(value);
  throw new TypeError("egress value must be a string or Uint8Array unless a type is given");
}

export interface KafkaEgressMessageOptions<T> {
  /** The id of a `io.statefun.kafka.v1/egress`. */
  readonly egress: string;
  readonly topic: string;
  /** Empty or absent: the record has no key. */
  readonly key?: string;
  readonly value: T;
  /** How to serialize `value`; without it, strings are UTF-8 and bytes pass through. */
  readonly type?: Type<T>;
}

export function kafkaEgressMessage<T>(options: KafkaEgressMessageOptions<T>): EgressRecord {
  checkTypeName(options.egress);
  const value = encodeFields([
    [1, utf8Encoder.encode(options.key ?? "")],
    [2, valueBytes(options.value, options.type)],
    [3, utf8Encoder.encode(options.topic)],
  ]);
  return { egress: options.egress, argument: { typename: KAFKA_PRODUCER_RECORD_TYPENAME, value } };
}

export interface KinesisEgressMessageOptions<T> {
  /** The id of a `io.statefun.kinesis.v1/egress`. */
  readonly egress: string;
  readonly stream: string;
  readonly partitionKey: string;
  readonly explicitHashKey?: string;
  readonly value: T;
  readonly type?: Type<T>;
}

export function kinesisEgressMessage<T>(options: KinesisEgressMessageOptions<T>): EgressRecord {
  checkTypeName(options.egress);
  const value = encodeFields([
    [1, utf8Encoder.encode(options.partitionKey)],
    [2, valueBytes(options.value, options.type)],
    [3, utf8Encoder.encode(options.stream)],
    [4, utf8Encoder.encode(options.explicitHashKey ?? "")],
  ]);
  return { egress: options.egress, argument: { typename: KINESIS_EGRESS_RECORD_TYPENAME, value } };
}
