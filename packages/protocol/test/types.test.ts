// Golden bytes for the built-in value wrappers (io.statefun.types/*) and the
// generic egress records. Expected bytes are computed by hand from the wire
// format: tag = (field << 3) | wire type; fixed32/64 little-endian.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { toBinary } from "@bufbuild/protobuf";
import {
  BooleanWrapperSchema,
  DoubleWrapperSchema,
  FloatWrapperSchema,
  IntWrapperSchema,
  KAFKA_PRODUCER_RECORD_TYPENAME,
  KINESIS_EGRESS_RECORD_TYPENAME,
  KafkaProducerRecordSchema,
  KinesisEgressRecordSchema,
  LongWrapperSchema,
  ProtocolDecodeError,
  StringWrapperSchema,
  create,
  decodeKafkaProducerRecord,
  decodeKinesisEgressRecord,
  decodeMessage,
  encodeKafkaProducerRecord,
  encodeKinesisEgressRecord,
  encodeMessage,
} from "@eddy/protocol";
import { h, hex, unhex } from "./hex.js";

void describe("built-in wrapper types", () => {
  const cases = [
    // name, schema, non-default value, its bytes
    { name: "BooleanWrapper true", schema: BooleanWrapperSchema, value: true, bytes: "08 01" },
    { name: "IntWrapper 1", schema: IntWrapperSchema, value: 1, bytes: "0d 01 00 00 00" },
    { name: "IntWrapper -1", schema: IntWrapperSchema, value: -1, bytes: "0d ff ff ff ff" },
    { name: "IntWrapper 0x01020304", schema: IntWrapperSchema, value: 0x01020304, bytes: "0d 04 03 02 01" },
    { name: "LongWrapper 1", schema: LongWrapperSchema, value: 1n, bytes: "09 01 00 00 00 00 00 00 00" },
    { name: "LongWrapper -2", schema: LongWrapperSchema, value: -2n, bytes: "09 fe ff ff ff ff ff ff ff" },
    {
      name: "LongWrapper 2^53+1",
      schema: LongWrapperSchema,
      value: 9007199254740993n,
      bytes: "09 01 00 00 00 00 00 20 00",
    },
    // 1.5f = 0x3fc00000
    { name: "FloatWrapper 1.5", schema: FloatWrapperSchema, value: 1.5, bytes: "0d 00 00 c0 3f" },
    // 1.5 = 0x3ff8000000000000
    { name: "DoubleWrapper 1.5", schema: DoubleWrapperSchema, value: 1.5, bytes: "09 00 00 00 00 00 00 f8 3f" },
    { name: "StringWrapper hi", schema: StringWrapperSchema, value: "hi", bytes: "0a 02 68 69" },
    // "é" is c3 a9 in UTF-8: the length prefix counts bytes, not characters.
    { name: "StringWrapper é", schema: StringWrapperSchema, value: "é", bytes: "0a 02 c3 a9" },
  ] as const;

  for (const c of cases) {
    void it(`${c.name} encodes to ${c.bytes} and back`, () => {
      // The union of schemas is too wide for create()'s inference; each case is consistent.
      const schema = c.schema as typeof StringWrapperSchema;
      const value = c.value as unknown as string;
      const bytes = encodeMessage(schema, { value });
      assert.equal(hex(bytes), h(c.bytes));
      assert.equal(decodeMessage(schema, bytes).value, c.value);
    });
  }

  const defaults = [
    { schema: BooleanWrapperSchema, zero: false },
    { schema: IntWrapperSchema, zero: 0 },
    { schema: LongWrapperSchema, zero: 0n },
    { schema: FloatWrapperSchema, zero: 0 },
    { schema: DoubleWrapperSchema, zero: 0 },
    { schema: StringWrapperSchema, zero: "" },
  ] as const;

  for (const d of defaults) {
    void it(`${d.schema.name} default value encodes to 0 bytes and 0 bytes decode to it`, () => {
      const schema = d.schema as typeof StringWrapperSchema;
      assert.equal(encodeMessage(schema, { value: d.zero as unknown as string }).byteLength, 0);
      assert.equal(encodeMessage(schema, {}).byteLength, 0);
      assert.equal(decodeMessage(schema, new Uint8Array()).value, d.zero);
    });
  }

  void it("negative zero is written (like Java, which compares raw bits)", () => {
    assert.equal(hex(toBinary(FloatWrapperSchema, create(FloatWrapperSchema, { value: -0 }))), h("0d 00 00 00 80"));
  });

  void it("a float that is not exactly representable rounds to float32", () => {
    const decoded = decodeMessage(FloatWrapperSchema, encodeMessage(FloatWrapperSchema, { value: 0.1 }));
    assert.equal(decoded.value, Math.fround(0.1));
  });

  void it("invalid UTF-8 in a string field is a ProtocolDecodeError", () => {
    assert.throws(() => decodeMessage(StringWrapperSchema, unhex("0a 01 ff")), ProtocolDecodeError);
  });
});

void describe("egress records", () => {
  void it("has the typename constants the generic egresses require", () => {
    assert.equal(KAFKA_PRODUCER_RECORD_TYPENAME, `type.googleapis.com/${KafkaProducerRecordSchema.typeName}`);
    assert.equal(KINESIS_EGRESS_RECORD_TYPENAME, `type.googleapis.com/${KinesisEgressRecordSchema.typeName}`);
    assert.equal(KAFKA_PRODUCER_RECORD_TYPENAME, "type.googleapis.com/io.statefun.sdk.egress.KafkaProducerRecord");
    assert.equal(KINESIS_EGRESS_RECORD_TYPENAME, "type.googleapis.com/io.statefun.sdk.egress.KinesisEgressRecord");
  });

  void it("KafkaProducerRecord golden", () => {
    const bytes = encodeKafkaProducerRecord({ key: "k", valueBytes: Uint8Array.of(1, 2), topic: "t" });
    // key=1 "k" | value_bytes=2 [01 02] | topic=3 "t"
    assert.equal(hex(bytes), h("0a 01 6b  12 02 01 02  1a 01 74"));
    const back = decodeKafkaProducerRecord(bytes);
    assert.equal(back.key, "k");
    assert.deepEqual(back.valueBytes, Uint8Array.of(1, 2));
    assert.equal(back.topic, "t");
  });

  void it("KafkaProducerRecord without a key omits field 1", () => {
    const bytes = encodeKafkaProducerRecord({ valueBytes: new TextEncoder().encode("v"), topic: "out" });
    assert.equal(hex(bytes), h("12 01 76  1a 03 6f 75 74"));
    assert.equal(decodeKafkaProducerRecord(bytes).key, "");
  });

  void it("KinesisEgressRecord golden", () => {
    const bytes = encodeKinesisEgressRecord({
      partitionKey: "p",
      valueBytes: Uint8Array.of(0xff),
      stream: "s",
      explicitHashKey: "h",
    });
    assert.equal(hex(bytes), h("0a 01 70  12 01 ff  1a 01 73  22 01 68"));
    const back = decodeKinesisEgressRecord(bytes);
    assert.equal(back.partitionKey, "p");
    assert.deepEqual(back.valueBytes, Uint8Array.of(0xff));
    assert.equal(back.stream, "s");
    assert.equal(back.explicitHashKey, "h");
  });

  void it("garbage egress bytes are a ProtocolDecodeError", () => {
    assert.throws(() => decodeKafkaProducerRecord(unhex("0a 05 6b")), ProtocolDecodeError);
    assert.throws(() => decodeKinesisEgressRecord(unhex("0f")), ProtocolDecodeError);
  });
});
