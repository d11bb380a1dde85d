// vendor/platformatic-dynamic-buffer carries Eddy's patch to the Kafka client's buffer writer:
// small writes go into a slab shared by every DynamicBuffer instead of a Buffer each (see
// vendor/README.md). These scenarios check what the patch must keep: each buffer's bytes are
// exactly what was written, whatever other buffers wrote in between, bytes already taken out
// never change, and the client's record batches read back as they were written.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DynamicBuffer } from "@platformatic/dynamic-buffer";
import { createRecordsBatch, readRecordsBatch, Reader, Writer, crc32c, type MessageRecord } from "@platformatic/kafka";

/** The bytes of an unsigned LEB128 varint, written the plain way. */
function varint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value >>> 0;
  while (rest >= 0x80) {
    bytes.push((rest & 0x7f) | 0x80);
    rest >>>= 7;
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

function int32BE(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(value);
  return b;
}

describe("the vendored DynamicBuffer (Eddy's slab patch)", () => {
  it("keeps each buffer's bytes when two buffers write in turns", () => {
    const a = new DynamicBuffer();
    const b = new DynamicBuffer();
    const expectedA: Buffer[] = [];
    const expectedB: Buffer[] = [];
    for (let i = 0; i < 1_000; i++) {
      a.writeInt32BE(i);
      expectedA.push(int32BE(i));
      b.writeUnsignedVarInt(i * 131);
      expectedB.push(varint(i * 131));
      if (i % 7 === 0) {
        const big = Buffer.alloc(100, i % 256); // larger than the copy threshold: kept as a piece
        a.append(big);
        expectedA.push(big);
      }
      if (i % 5 === 0) {
        const small = Buffer.from(`k${i}`); // small: copied into the slab
        b.append(small);
        expectedB.push(small);
      }
    }
    assert.deepEqual(a.buffer, Buffer.concat(expectedA));
    assert.deepEqual(b.buffer, Buffer.concat(expectedB));
    assert.equal(a.length, Buffer.concat(expectedA).length);
    assert.equal(b.length, Buffer.concat(expectedB).length);
  });

  it("never changes bytes already taken out, across slabs", () => {
    const first = new DynamicBuffer();
    for (let i = 0; i < 10; i++) first.writeInt32BE(0x01020304 + i);
    const taken = first.buffer;
    const copy = Buffer.from(taken);
    const pieces = first.buffers.map((piece) => Buffer.from(piece));
    // More than a slab (64 KiB) of small writes, by this buffer and by another one.
    const other = new DynamicBuffer();
    for (let i = 0; i < 40_000; i++) {
      first.writeInt16BE(i & 0x7fff);
      other.writeInt32LE(i);
    }
    assert.deepEqual(taken, copy);
    assert.deepEqual(first.buffers.slice(0, pieces.length).map((piece) => Buffer.from(piece)), pieces);
    assert.equal(first.length, 40 + 40_000 * 2);
    assert.equal(first.readInt32BE(36), 0x01020304 + 9);
    assert.equal(first.readInt16BE(40 + 2 * 39_999), 39_999 & 0x7fff);
    assert.equal(other.readInt32LE(4 * 39_999), 39_999);
  });

  it("puts prepended writes first and reads across pieces", () => {
    const buffer = new DynamicBuffer();
    buffer.writeUInt8(7);
    buffer.append(Buffer.alloc(80, 1));
    buffer.writeUInt16BE(0xbeef);
    buffer.writeUnsignedVarInt(300, false); // prepended: [0xac, 0x02]
    buffer.writeInt32BE(-5, false);
    const other = new DynamicBuffer();
    other.writeBigInt64BE(42n);
    other.writeUInt8(9);
    buffer.appendFrom(other);
    const expected = Buffer.concat([int32BE(-5), varint(300), Buffer.from([7]), Buffer.alloc(80, 1), Buffer.from([0xbe, 0xef]), Buffer.from([0, 0, 0, 0, 0, 0, 0, 42, 9])]);
    assert.deepEqual(buffer.buffer, expected);
    assert.equal(buffer.readUnsignedVarInt(4)[0], 300);
    assert.equal(buffer.readUInt16BE(4 + 2 + 1 + 80), 0xbeef);
    assert.equal(buffer.readBigInt64BE(expected.length - 9), 42n);
    buffer.consume(6);
    assert.deepEqual(buffer.buffer, expected.subarray(6));
    buffer.writeUInt8(1);
    assert.deepEqual(buffer.buffer, Buffer.concat([expected.subarray(6), Buffer.from([1])]));
  });

  it("writes the Kafka client's record batches so that its reader reads them back, with a valid CRC", () => {
    const messages: MessageRecord[] = Array.from({ length: 300 }, (_, i) => ({
      topic: "orders",
      partition: 0,
      timestamp: 1_700_000_000_000n + BigInt(i),
      ...(i % 3 === 0 ? {} : { key: Buffer.from(`example/greeter#user-${i}`) }),
      value: Buffer.from(JSON.stringify({ name: `user-${i}`, text: "x".repeat(i % 90) })),
      headers: new Map([[Buffer.from("trace"), Buffer.from(String(i))]]),
    }));
    const bytes = Writer.create().appendFrom(createRecordsBatch(messages)).buffer;
    const batch = readRecordsBatch(Reader.from(bytes));
    assert.equal(batch.records.length, messages.length);
    batch.records.forEach((record, i) => {
      const message = messages[i]!;
      assert.equal(record.offsetDelta, i);
      assert.equal(record.timestampDelta, BigInt(i));
      assert.deepEqual(record.value, message.value);
      if (message.key === undefined) assert.ok(record.key === null || record.key.length === 0);
      else assert.deepEqual(record.key, message.key);
      assert.deepEqual(record.headers, [[Buffer.from("trace"), Buffer.from(String(i))]]);
    });
    // The CRC covers the bytes from the attributes (offset 21) to the end.
    assert.equal(batch.crc, crc32c(bytes.subarray(21)));
  });
});
