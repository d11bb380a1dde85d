import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { decodeKafkaProducerRecord, decodeKinesisEgressRecord, encodeKafkaProducerRecord } from "@eddy/protocol";
import {
  KAFKA_PRODUCER_RECORD_TYPENAME,
  KINESIS_EGRESS_RECORD_TYPENAME,
  PLAYGROUND_EGRESS_ID,
  PlaygroundEgressRecordType,
  Types,
  address,
  egressMessage,
  isEddyError,
  jsonType,
  kafkaEgressMessage,
  kinesisEgressMessage,
  message,
  playgroundEgressMessage,
  stringMessage,
} from "@eddy/sdk";

const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined) => new TextDecoder().decode(b);

describe("playground egress messages", () => {
  it("are JSON {topic, payload} records for io.statefun.playground/egress", () => {
    const record = playgroundEgressMessage({ topic: "greetings", payload: "Hello Bob ! 😎" });
    assert.equal(record.egress, PLAYGROUND_EGRESS_ID);
    assert.equal(record.egress, "io.statefun.playground/egress");
    assert.equal(record.argument.typename, "io.statefun.playground/EgressRecord");
    assert.equal(text(record.argument.value), '{"topic":"greetings","payload":"Hello Bob ! 😎"}');
    assert.deepEqual(PlaygroundEgressRecordType.deserialize(record.argument.value!), {
      topic: "greetings",
      payload: "Hello Bob ! 😎",
    });
  });
});

describe("Kafka egress messages", () => {
  it("encode a KafkaProducerRecord the generated protobuf decodes, with the official typename", () => {
    const record = kafkaEgressMessage({ egress: "example/kafka", topic: "out", key: "k1", value: "hello" });
    assert.equal(record.egress, "example/kafka");
    assert.equal(record.argument.typename, KAFKA_PRODUCER_RECORD_TYPENAME);
    assert.equal(KAFKA_PRODUCER_RECORD_TYPENAME, "type.googleapis.com/io.statefun.sdk.egress.KafkaProducerRecord");
    const decoded = decodeKafkaProducerRecord(record.argument.value!);
    assert.equal(decoded.key, "k1");
    assert.equal(decoded.topic, "out");
    assert.equal(text(decoded.valueBytes), "hello");
    // byte for byte what the generated encoder produces
    assert.deepEqual(
      record.argument.value,
      encodeKafkaProducerRecord({ key: "k1", valueBytes: utf8("hello"), topic: "out" }),
    );
  });

  it("omit an absent key, serialize the value with a given type and pass bytes through", () => {
    const typed = kafkaEgressMessage({ egress: "example/kafka", topic: "nums", value: 7, type: Types.int });
    const decoded = decodeKafkaProducerRecord(typed.argument.value!);
    assert.equal(decoded.key, "");
    assert.deepEqual(decoded.valueBytes, Types.int.serialize(7));
    const raw = kafkaEgressMessage({ egress: "example/kafka", topic: "b", value: Uint8Array.of(1, 2, 3) });
    assert.deepEqual(decodeKafkaProducerRecord(raw.argument.value!).valueBytes, Uint8Array.of(1, 2, 3));
  });

  it("reject invalid egress ids and untyped non-string values", () => {
    assert.throws(
      () => kafkaEgressMessage({ egress: "kafka", topic: "t", value: "x" }),
      (e: unknown) => isEddyError(e, "EDDY_INVALID_TYPENAME"),
    );
    assert.throws(() => kafkaEgressMessage({ egress: "a/b", topic: "t", value: 5 }), TypeError);
  });
});

describe("Kinesis egress messages", () => {
  it("encode a KinesisEgressRecord with stream, partition key and explicit hash key", () => {
    const record = kinesisEgressMessage({
      egress: "example/kinesis",
      stream: "s1",
      partitionKey: "pk",
      explicitHashKey: "123",
      value: "v",
    });
    assert.equal(record.argument.typename, KINESIS_EGRESS_RECORD_TYPENAME);
    const decoded = decodeKinesisEgressRecord(record.argument.value!);
    assert.equal(decoded.stream, "s1");
    assert.equal(decoded.partitionKey, "pk");
    assert.equal(decoded.explicitHashKey, "123");
    assert.equal(text(decoded.valueBytes), "v");
    const plain = decodeKinesisEgressRecord(
      kinesisEgressMessage({ egress: "example/kinesis", stream: "s1", partitionKey: "pk", value: "v" }).argument.value!,
    );
    assert.equal(plain.explicitHashKey, "");
  });
});

describe("generic message builders", () => {
  it("egressMessage serializes with the given type", () => {
    const T = jsonType<{ a: number }>("ex/A");
    assert.deepEqual(egressMessage({ egress: "ex/out", value: { a: 1 }, type: T }), {
      egress: "ex/out",
      argument: { typename: "ex/A", value: utf8('{"a":1}') },
    });
    assert.throws(() => egressMessage({ egress: "out", value: { a: 1 }, type: T }), /not a valid type name/);
  });

  it("message and stringMessage build typed messages to a validated address", () => {
    const to = address("ex/fn", "1");
    assert.deepEqual(message({ to, value: 5n, type: Types.long }), {
      target: to,
      argument: { typename: Types.long.typename, value: Types.long.serialize(5n) },
    });
    assert.deepEqual(stringMessage(to, "hé").argument, {
      typename: "io.statefun.types/string",
      value: Uint8Array.of(0x0a, 0x03, 0x68, 0xc3, 0xa9),
    });
    assert.throws(
      () => message({ to: { type: "bad", id: "1" }, value: 1, type: Types.int }),
      (e: unknown) => isEddyError(e, "EDDY_INVALID_TYPENAME"),
    );
  });
});
