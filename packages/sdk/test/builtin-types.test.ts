import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  BooleanWrapperSchema,
  DoubleWrapperSchema,
  FloatWrapperSchema,
  IntWrapperSchema,
  LongWrapperSchema,
  StringWrapperSchema,
  decodeMessage,
  encodeMessage,
} from "@eddy/protocol";
import {
  BOOL_TYPENAME,
  DOUBLE_TYPENAME,
  FLOAT_TYPENAME,
  INT_TYPENAME,
  LONG_TYPENAME,
  STRING_TYPENAME,
  Types,
  isEddyError,
} from "@eddy/sdk";
import type { ErrorCode } from "@eddy/sdk";

const bytes = (...b: number[]) => Uint8Array.from(b);
const hex = (u: Uint8Array) => Buffer.from(u).toString("hex");

function throwsCode(fn: () => unknown, code: ErrorCode): void {
  assert.throws(fn, (e: unknown) => isEddyError(e, code), `expected ${code}`);
}

describe("built-in types: typenames", () => {
  it("use StateFun's io.statefun.types namespace", () => {
    assert.equal(Types.bool.typename, BOOL_TYPENAME);
    assert.equal(BOOL_TYPENAME, "io.statefun.types/bool");
    assert.equal(INT_TYPENAME, "io.statefun.types/int");
    assert.equal(LONG_TYPENAME, "io.statefun.types/long");
    assert.equal(FLOAT_TYPENAME, "io.statefun.types/float");
    assert.equal(DOUBLE_TYPENAME, "io.statefun.types/double");
    assert.equal(STRING_TYPENAME, "io.statefun.types/string");
    assert.equal(Types.int.typename, INT_TYPENAME);
    assert.equal(Types.long.typename, LONG_TYPENAME);
    assert.equal(Types.float.typename, FLOAT_TYPENAME);
    assert.equal(Types.double.typename, DOUBLE_TYPENAME);
    assert.equal(Types.string.typename, STRING_TYPENAME);
  });
});

describe("built-in types: exact bytes", () => {
  it("bool: true is 08 01, false is zero bytes", () => {
    assert.equal(hex(Types.bool.serialize(true)), "0801");
    assert.equal(Types.bool.serialize(false).length, 0);
    assert.equal(Types.bool.deserialize(bytes(0x08, 0x01)), true);
    assert.equal(Types.bool.deserialize(bytes()), false);
    assert.equal(Types.bool.deserialize(bytes(0x08, 0x00)), false);
  });

  it("int: sfixed32, tag 0d and 4 little-endian bytes; 0 is zero bytes", () => {
    assert.equal(hex(Types.int.serialize(1)), "0d01000000");
    assert.equal(hex(Types.int.serialize(-1)), "0dffffffff");
    assert.equal(hex(Types.int.serialize(0x12345678)), "0d78563412");
    assert.equal(hex(Types.int.serialize(2147483647)), "0dffffff7f");
    assert.equal(hex(Types.int.serialize(-2147483648)), "0d00000080");
    assert.equal(Types.int.serialize(0).length, 0);
    for (const v of [1, -1, 0, 42, 2147483647, -2147483648]) {
      assert.equal(Types.int.deserialize(Types.int.serialize(v)), v);
    }
  });

  it("long: sfixed64 from a bigint, tag 09 and 8 little-endian bytes; 0n is zero bytes", () => {
    assert.equal(hex(Types.long.serialize(1n)), "090100000000000000");
    assert.equal(hex(Types.long.serialize(-1n)), "09ffffffffffffffff");
    assert.equal(hex(Types.long.serialize(2n ** 63n - 1n)), "09ffffffffffffff7f");
    assert.equal(hex(Types.long.serialize(-(2n ** 63n))), "090000000000000080");
    assert.equal(Types.long.serialize(0n).length, 0);
    for (const v of [1n, -1n, 0n, 2n ** 53n + 1n, 2n ** 63n - 1n, -(2n ** 63n)]) {
      assert.equal(Types.long.deserialize(Types.long.serialize(v)), v);
    }
  });

  it("float: tag 0d and IEEE-754 single LE; 0 is zero bytes", () => {
    assert.equal(hex(Types.float.serialize(1.5)), "0d0000c03f");
    assert.equal(hex(Types.float.serialize(-2)), "0d000000c0");
    assert.equal(Types.float.serialize(0).length, 0);
    assert.equal(Types.float.deserialize(bytes(0x0d, 0x00, 0x00, 0xc0, 0x3f)), 1.5);
    assert.equal(Types.float.deserialize(bytes()), 0);
  });

  it("double: tag 09 and IEEE-754 double LE; 0 is zero bytes", () => {
    assert.equal(hex(Types.double.serialize(1.5)), "09000000000000f83f");
    assert.equal(hex(Types.double.serialize(-0.25)), "09000000000000d0bf");
    assert.equal(Types.double.serialize(0).length, 0);
    assert.equal(Types.double.deserialize(Types.double.serialize(Math.PI)), Math.PI);
    assert.equal(Types.double.deserialize(bytes()), 0);
  });

  it('string: "hé" is 0a 03 68 c3 a9 (length in UTF-8 bytes); "" is zero bytes', () => {
    assert.equal(hex(Types.string.serialize("hé")), "0a0368c3a9");
    assert.equal(Types.string.serialize("").length, 0);
    assert.equal(Types.string.deserialize(bytes(0x0a, 0x03, 0x68, 0xc3, 0xa9)), "hé");
    assert.equal(Types.string.deserialize(bytes()), "");
  });

  it("string: a 200-byte payload gets a two-byte varint length (c8 01)", () => {
    const text = "x".repeat(200);
    const encoded = Types.string.serialize(text);
    assert.equal(hex(encoded.subarray(0, 3)), "0ac801");
    assert.equal(encoded.length, 203);
    assert.equal(Types.string.deserialize(encoded), text);
  });
});

describe("built-in types: decoding", () => {
  it("reads empty bytes as the default of every type", () => {
    assert.equal(Types.bool.deserialize(bytes()), false);
    assert.equal(Types.int.deserialize(bytes()), 0);
    assert.equal(Types.long.deserialize(bytes()), 0n);
    assert.equal(Types.float.deserialize(bytes()), 0);
    assert.equal(Types.double.deserialize(bytes()), 0);
    assert.equal(Types.string.deserialize(bytes()), "");
  });

  it("skips unknown fields before and after field 1", () => {
    // field 2 varint 5, then field 1, then field 3 length-delimited "zz", then field 4 fixed32
    const unknownBefore = [0x10, 0x05];
    const unknownAfter = [0x1a, 0x02, 0x7a, 0x7a, 0x25, 1, 2, 3, 4];
    assert.equal(Types.bool.deserialize(bytes(...unknownBefore, 0x08, 0x01, ...unknownAfter)), true);
    assert.equal(Types.int.deserialize(bytes(...unknownBefore, 0x0d, 0x07, 0, 0, 0, ...unknownAfter)), 7);
    assert.equal(
      Types.long.deserialize(bytes(...unknownBefore, 0x09, 0x08, 0, 0, 0, 0, 0, 0, 0, ...unknownAfter)),
      8n,
    );
    assert.equal(Types.string.deserialize(bytes(...unknownBefore, 0x0a, 0x02, 0x6f, 0x6b, ...unknownAfter)), "ok");
    // only unknown fields: the default value
    assert.equal(Types.int.deserialize(bytes(...unknownAfter)), 0);
  });

  it("takes the last occurrence of field 1, as protobuf does", () => {
    assert.equal(Types.int.deserialize(bytes(0x0d, 1, 0, 0, 0, 0x0d, 2, 0, 0, 0)), 2);
  });

  it("decodes a wrapper that lives at an offset inside a larger buffer", () => {
    const backing = bytes(0xee, 0xee, 0x0d, 0x2a, 0, 0, 0, 0xee);
    assert.equal(Types.int.deserialize(backing.subarray(2, 7)), 42);
    const longBacking = bytes(0xee, 0x09, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
    assert.equal(Types.long.deserialize(longBacking.subarray(1)), -1n);
  });

  it("rejects out-of-range and non-integer ints with EDDY_TYPE_MISMATCH", () => {
    throwsCode(() => Types.int.serialize(2147483648), "EDDY_TYPE_MISMATCH");
    throwsCode(() => Types.int.serialize(-2147483649), "EDDY_TYPE_MISMATCH");
    throwsCode(() => Types.int.serialize(1.5), "EDDY_TYPE_MISMATCH");
    throwsCode(() => Types.int.serialize(Number.NaN), "EDDY_TYPE_MISMATCH");
  });

  it("rejects longs out of 64-bit range or given as numbers with EDDY_TYPE_MISMATCH", () => {
    throwsCode(() => Types.long.serialize(2n ** 63n), "EDDY_TYPE_MISMATCH");
    throwsCode(() => Types.long.serialize(-(2n ** 63n) - 1n), "EDDY_TYPE_MISMATCH");
    throwsCode(() => Types.long.serialize(5 as unknown as bigint), "EDDY_TYPE_MISMATCH");
  });

  it("rejects invalid bytes with EDDY_DECODE_FAILED", () => {
    // truncated fixed32
    throwsCode(() => Types.int.deserialize(bytes(0x0d, 0x01)), "EDDY_DECODE_FAILED");
    // truncated fixed64
    throwsCode(() => Types.long.deserialize(bytes(0x09, 0x01, 0x02)), "EDDY_DECODE_FAILED");
    // length runs past the end
    throwsCode(() => Types.string.deserialize(bytes(0x0a, 0x05, 0x61)), "EDDY_DECODE_FAILED");
    // truncated varint
    throwsCode(() => Types.bool.deserialize(bytes(0x08, 0x80)), "EDDY_DECODE_FAILED");
    // wire types 3/4 (groups) and 6/7 do not exist in these messages
    throwsCode(() => Types.int.deserialize(bytes(0x0b)), "EDDY_DECODE_FAILED");
    throwsCode(() => Types.int.deserialize(bytes(0x0f)), "EDDY_DECODE_FAILED");
    // not UTF-8
    throwsCode(() => Types.string.deserialize(bytes(0x0a, 0x02, 0xff, 0xfe)), "EDDY_DECODE_FAILED");
  });

  it("rejects field 1 with the wrong wire type with EDDY_DECODE_FAILED", () => {
    // an int encoded as a varint (int32 instead of sfixed32)
    throwsCode(() => Types.int.deserialize(bytes(0x08, 0x01)), "EDDY_DECODE_FAILED");
    // a long as sfixed32
    throwsCode(() => Types.long.deserialize(bytes(0x0d, 1, 0, 0, 0)), "EDDY_DECODE_FAILED");
    // a bool as length-delimited
    throwsCode(() => Types.bool.deserialize(bytes(0x0a, 0x00)), "EDDY_DECODE_FAILED");
    // a string as a varint
    throwsCode(() => Types.string.deserialize(bytes(0x08, 0x01)), "EDDY_DECODE_FAILED");
    throwsCode(() => Types.double.deserialize(bytes(0x0d, 1, 0, 0, 0)), "EDDY_DECODE_FAILED");
    throwsCode(() => Types.float.deserialize(bytes(0x09, 1, 0, 0, 0, 0, 0, 0, 0)), "EDDY_DECODE_FAILED");
  });
});

describe("built-in types agree byte for byte with @eddy/protocol's generated wrappers", () => {
  it("int", () => {
    for (const value of [1, -1, 0, 123456, -2147483648, 2147483647]) {
      const ours = Types.int.serialize(value);
      assert.deepEqual(ours, encodeMessage(IntWrapperSchema, { value }), `int ${value}`);
      assert.equal(decodeMessage(IntWrapperSchema, ours).value, value);
    }
  });

  it("long", () => {
    for (const value of [1n, -1n, 0n, 2n ** 40n, -(2n ** 63n), 2n ** 63n - 1n]) {
      const ours = Types.long.serialize(value);
      assert.deepEqual(ours, encodeMessage(LongWrapperSchema, { value }), `long ${value}`);
      assert.equal(decodeMessage(LongWrapperSchema, ours).value, value);
    }
  });

  it("string", () => {
    for (const value of ["hé", "", "Hello Bob ! 😎", "x".repeat(300)]) {
      const ours = Types.string.serialize(value);
      assert.deepEqual(ours, encodeMessage(StringWrapperSchema, { value }), `string ${JSON.stringify(value)}`);
      assert.equal(decodeMessage(StringWrapperSchema, ours).value, value);
    }
  });

  it("bool, float and double", () => {
    for (const value of [true, false]) {
      assert.deepEqual(Types.bool.serialize(value), encodeMessage(BooleanWrapperSchema, { value }));
    }
    for (const value of [1.5, -2, 0, -0, 3.25, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.deepEqual(Types.float.serialize(value), encodeMessage(FloatWrapperSchema, { value }));
      assert.deepEqual(Types.double.serialize(value), encodeMessage(DoubleWrapperSchema, { value }));
    }
    assert.equal(Types.double.deserialize(encodeMessage(DoubleWrapperSchema, { value: Math.E })), Math.E);
  });

  it("decodes what the generated wrappers encode", () => {
    assert.equal(Types.int.deserialize(encodeMessage(IntWrapperSchema, { value: -77 })), -77);
    assert.equal(Types.long.deserialize(encodeMessage(LongWrapperSchema, { value: -(2n ** 50n) })), -(2n ** 50n));
    assert.equal(Types.string.deserialize(encodeMessage(StringWrapperSchema, { value: "ünïcödé" })), "ünïcödé");
    assert.equal(Types.bool.deserialize(encodeMessage(BooleanWrapperSchema, { value: true })), true);
  });
});
