import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { IntWrapperSchema, decodeMessage, encodeMessage } from "@eddy/protocol";
import type { IntWrapper } from "@eddy/protocol";
import { isEddyError, jsonType, protobufType, rawType } from "@eddy/sdk";
import type { ErrorCode } from "@eddy/sdk";

const utf8 = (s: string) => new TextEncoder().encode(s);

function throwsCode(fn: () => unknown, code: ErrorCode): void {
  assert.throws(fn, (e: unknown) => isEddyError(e, code), `expected ${code}`);
}

interface GreetRequest {
  who: string;
  visits?: number;
}

function isGreetRequest(x: unknown): x is GreetRequest {
  return typeof x === "object" && x !== null && typeof (x as GreetRequest).who === "string";
}

describe("jsonType", () => {
  it("serializes to UTF-8 JSON, as the official SDKs' json types do", () => {
    const T = jsonType<GreetRequest>("apache/GreetRequest");
    assert.equal(T.typename, "apache/GreetRequest");
    const encoded = T.serialize({ who: "Zoë", visits: 2 });
    assert.deepEqual(encoded, utf8('{"who":"Zoë","visits":2}'));
  });

  it("round-trips nested values", () => {
    const T = jsonType<{ list: number[]; nested: { ok: boolean; s: string | null } }>("ex/Nested");
    const value = { list: [1, 2, 3], nested: { ok: true, s: null } };
    assert.deepEqual(T.deserialize(T.serialize(value)), value);
  });

  it("decodes bytes produced by another SDK", () => {
    const T = jsonType<GreetRequest>("apache/GreetRequest");
    assert.deepEqual(T.deserialize(utf8(' { "who" : "Bob" } ')), { who: "Bob" });
  });

  it("accepts values that pass validate", () => {
    const T = jsonType<GreetRequest>("apache/GreetRequest", { validate: isGreetRequest });
    assert.deepEqual(T.deserialize(utf8('{"who":"Ann"}')), { who: "Ann" });
  });

  it("rejects values that fail validate with EDDY_DECODE_FAILED", () => {
    const T = jsonType<GreetRequest>("apache/GreetRequest", { validate: isGreetRequest });
    throwsCode(() => T.deserialize(utf8('{"name":"Ann"}')), "EDDY_DECODE_FAILED");
    throwsCode(() => T.deserialize(utf8("42")), "EDDY_DECODE_FAILED");
    assert.throws(() => T.deserialize(utf8("null")), /does not have the expected shape/);
  });

  it("rejects bytes that are not JSON (or not UTF-8) with EDDY_DECODE_FAILED", () => {
    const T = jsonType<GreetRequest>("apache/GreetRequest");
    throwsCode(() => T.deserialize(utf8("{not json")), "EDDY_DECODE_FAILED");
    throwsCode(() => T.deserialize(Uint8Array.of(0x22, 0xff, 0x22)), "EDDY_DECODE_FAILED");
    throwsCode(() => T.deserialize(new Uint8Array(0)), "EDDY_DECODE_FAILED");
  });

  it("rejects an invalid typename up front", () => {
    throwsCode(() => jsonType("no-slash"), "EDDY_INVALID_TYPENAME");
    throwsCode(() => jsonType("a/b/c"), "EDDY_INVALID_TYPENAME");
  });
});

describe("protobufType", () => {
  const codec = {
    encode: (m: IntWrapper) => encodeMessage(IntWrapperSchema, m),
    decode: (b: Uint8Array) => decodeMessage(IntWrapperSchema, b),
  };

  it("uses the codec in both directions", () => {
    const T = protobufType("type.googleapis.com/io.statefun.sdk.types.IntWrapper", codec);
    const bytes = T.serialize(decodeMessage(IntWrapperSchema, Uint8Array.of(0x0d, 5, 0, 0, 0)));
    assert.deepEqual(bytes, Uint8Array.of(0x0d, 5, 0, 0, 0));
    assert.equal(T.deserialize(bytes).value, 5);
  });

  it("wraps codec failures in EDDY_DECODE_FAILED, keeping the cause", () => {
    const T = protobufType("ex/Int", codec);
    assert.throws(
      () => T.deserialize(Uint8Array.of(0x0d, 1)),
      (e: unknown) => isEddyError(e, "EDDY_DECODE_FAILED") && e.cause !== undefined && /ex\/Int/.test(e.message),
    );
  });

  it("rejects an invalid typename", () => {
    throwsCode(() => protobufType("/Int", codec), "EDDY_INVALID_TYPENAME");
  });
});

describe("rawType", () => {
  it("passes bytes through unchanged", () => {
    const T = rawType("ex/Raw");
    const b = Uint8Array.of(1, 2, 3);
    assert.equal(T.serialize(b), b);
    assert.equal(T.deserialize(b), b);
    throwsCode(() => rawType("Raw"), "EDDY_INVALID_TYPENAME");
  });
});
