// Golden bytes and round trips for ToFunction / FromFunction.
//
// Hand-computed building blocks used below (tag = field << 3 | wire type):
//   Address{namespace:"n", type:"t", id:"i"}       = 0a 01 6e  12 01 74  1a 01 69            (9 bytes)
//   TypedValue{typename:"a/b", has_value, [01]}     = 0a 03 61 2f 62  10 01  1a 01 01        (10 bytes)
//   field 100, length-delimited: (100 << 3 | 2) = 802 = varint a2 06
//   field 101, length-delimited: (101 << 3 | 2) = 810 = varint aa 06
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { equals } from "@bufbuild/protobuf";
import {
  FromFunctionSchema,
  FromFunction_ExpirationSpec_ExpireMode as ExpireMode,
  FromFunction_PersistedValueMutation_MutationType as MutationType,
  KAFKA_PRODUCER_RECORD_TYPENAME,
  ProtocolDecodeError,
  ToFunctionSchema,
  create,
  decodeFromFunction,
  decodeKafkaProducerRecord,
  decodeToFunction,
  encodeFromFunction,
  encodeKafkaProducerRecord,
  encodeToFunction,
} from "@eddy/protocol";
import type { FromFunction, MessageInitShape, ToFunction } from "@eddy/protocol";
import { h, hex, unhex } from "./hex.js";

const ADDR = "0a 01 6e 12 01 74 1a 01 69";
const TV = "0a 03 61 2f 62 10 01 1a 01 01";
const addr = { namespace: "n", type: "t", id: "i" };
const tv = { typename: "a/b", hasValue: true, value: Uint8Array.of(1) };
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

void describe("ToFunction", () => {
  void it("a request with an invocation starts with a2 06", () => {
    const bytes = encodeToFunction({ request: { case: "invocation", value: {} } });
    assert.equal(hex(bytes), h("a2 06 00"));
  });

  void it("small golden: target, one name-only state, one ingress invocation", () => {
    const bytes = encodeToFunction({
      request: {
        case: "invocation",
        value: { target: addr, state: [{ stateName: "s" }], invocations: [{ argument: tv }] },
      },
    });
    // batch = target(0a 09 ADDR) + state(12 03 [0a 01 73]) + invocation(1a 0c [12 0a TV]) = 11+5+14 = 30 = 0x1e
    const expected = `a2 06 1e  0a 09 ${ADDR}  12 03 0a 01 73  1a 0c 12 0a ${TV}`;
    assert.equal(hex(bytes), h(expected));

    const back = decodeToFunction(unhex(expected));
    assert.equal(back.request.case, "invocation");
    const batch = back.request.value;
    assert.ok(batch);
    assert.equal(batch.target?.id, "i");
    assert.equal(batch.state.length, 1);
    assert.equal(batch.state[0]?.stateName, "s");
    assert.equal(batch.state[0]?.stateValue, undefined, "name-only state has no value");
    assert.equal(batch.invocations[0]?.caller, undefined, "ingress message has no caller");
    assert.deepEqual(batch.invocations[0]?.argument?.value, Uint8Array.of(1));
  });

  void it("a present empty value is has_value=true with no value field", () => {
    const bytes = encodeToFunction({
      request: {
        case: "invocation",
        value: { state: [{ stateName: "s", stateValue: { typename: "a/b", hasValue: true, value: new Uint8Array() } }] },
      },
    });
    // PersistedValue = 0a 01 73  12 07 [0a 03 61 2f 62 10 01] (12 bytes); batch = 12 0c ... (14 bytes)
    assert.equal(hex(bytes), h("a2 06 0e  12 0c 0a 01 73 12 07 0a 03 61 2f 62 10 01"));
    const sv = decodeToFunction(bytes).request.value?.state[0]?.stateValue;
    assert.equal(sv?.hasValue, true);
    assert.equal(sv?.value.byteLength, 0);
  });

  void it("full request round-trips: two states (one name-only), two invocations (one with caller)", () => {
    const init: MessageInitShape<typeof ToFunctionSchema> = {
      request: {
        case: "invocation",
        value: {
          target: { namespace: "example", type: "greeter", id: "alice" },
          state: [
            { stateName: "seen_count", stateValue: { typename: "io.statefun.types/int", hasValue: true, value: unhex("0d 02 00 00 00") } },
            { stateName: "last_seen" },
          ],
          invocations: [
            { argument: { typename: "example/GreetRequest", hasValue: true, value: utf8('{"name":"alice"}') } },
            {
              caller: { namespace: "example", type: "router", id: "r-1" },
              argument: { typename: "io.statefun.types/string", hasValue: true, value: unhex("0a 02 68 69") },
            },
          ],
        },
      },
    };
    const msg = create(ToFunctionSchema, init);
    const bytes = encodeToFunction(msg);
    assert.equal(hex(bytes.subarray(0, 2)), "a206");
    assert.equal(hex(encodeToFunction(init)), hex(bytes), "init shape and message encode the same");

    const back: ToFunction = decodeToFunction(bytes);
    assert.ok(equals(ToFunctionSchema, back, msg));
    assert.equal(hex(encodeToFunction(back)), hex(bytes), "re-encoding is byte-identical");

    const batch = back.request.value;
    assert.ok(batch);
    assert.deepEqual(batch.state.map((s) => [s.stateName, s.stateValue?.typename]), [
      ["seen_count", "io.statefun.types/int"],
      ["last_seen", undefined],
    ]);
    assert.equal(batch.invocations.length, 2);
    assert.equal(batch.invocations[0]?.caller, undefined);
    assert.equal(batch.invocations[1]?.caller?.type, "router");
    assert.equal(batch.invocations[1]?.caller?.id, "r-1");
  });

  void it("an empty body decodes to a request with no case set", () => {
    assert.equal(decodeToFunction(new Uint8Array()).request.case, undefined);
  });
});

void describe("FromFunction", () => {
  void it("invocation_result starts with a2 06", () => {
    assert.equal(hex(encodeFromFunction({ response: { case: "invocationResult", value: {} } })), h("a2 06 00"));
  });

  void it("incomplete_invocation_context starts with aa 06", () => {
    assert.equal(hex(encodeFromFunction({ response: { case: "incompleteInvocationContext", value: {} } })), h("aa 06 00"));
  });

  void it("small golden: a DELETE mutation (enum 0 is not written)", () => {
    const bytes = encodeFromFunction({
      response: { case: "invocationResult", value: { stateMutations: [{ mutationType: MutationType.DELETE, stateName: "s" }] } },
    });
    assert.equal(hex(bytes), h("a2 06 05  0a 03 12 01 73"));
    const m = decodeFromFunction(bytes).response;
    assert.equal(m.case, "invocationResult");
    assert.equal(m.value?.stateMutations[0]?.mutationType, MutationType.DELETE);
  });

  void it("small golden: a delayed send with token, and a cancellation (fields sorted by number, like Java)", () => {
    const bytes = encodeFromFunction({
      response: {
        case: "invocationResult",
        value: {
          delayedInvocations: [
            { delayInMs: 1000n, target: addr, argument: tv, cancellationToken: "tok" },
            { isCancellationRequest: true, cancellationToken: "x" },
          ],
        },
      },
    });
    // send   = 08 e8 07 (1000) | 12 09 ADDR | 1a 0a TV | 5a 03 "tok"  = 3+11+12+5 = 31 = 0x1f
    // cancel = 50 01 | 5a 01 "x"                                      = 5
    // response = 1a 1f <send> 1a 05 <cancel> = 33+7 = 40 = 0x28
    const expected = `a2 06 28  1a 1f 08 e8 07 12 09 ${ADDR} 1a 0a ${TV} 5a 03 74 6f 6b  1a 05 50 01 5a 01 78`;
    assert.equal(hex(bytes), h(expected));
    const d = decodeFromFunction(unhex(expected)).response.value;
    assert.ok(d && "delayedInvocations" in d);
    assert.equal(d.delayedInvocations[0]?.delayInMs, 1000n);
    assert.equal(d.delayedInvocations[0]?.isCancellationRequest, false);
    assert.equal(d.delayedInvocations[1]?.isCancellationRequest, true);
    assert.equal(d.delayedInvocations[1]?.cancellationToken, "x");
  });

  void it("small golden: incomplete invocation context with a TTL spec", () => {
    const bytes = encodeFromFunction({
      response: {
        case: "incompleteInvocationContext",
        value: {
          missingValues: [
            {
              stateName: "s",
              expirationSpec: { mode: ExpireMode.AFTER_WRITE, expireAfterMillis: 60_000n },
              typeTypename: "io.statefun.types/int",
            },
          ],
        },
      },
    });
    // ExpirationSpec = 08 01 | 10 e0 d4 03 (60000)                      = 6
    // spec = 0a 01 73 | 12 06 <exp> | 1a 15 "io.statefun.types/int"(21) = 3+8+23 = 34 = 0x22
    const typename = hex(utf8("io.statefun.types/int"));
    assert.equal(hex(bytes), h(`aa 06 24  0a 22 0a 01 73 12 06 08 01 10 e0 d4 03 1a 15 ${typename}`));
    const r = decodeFromFunction(bytes).response;
    assert.equal(r.case, "incompleteInvocationContext");
    assert.equal(r.value?.missingValues[0]?.expirationSpec?.expireAfterMillis, 60_000n);
    assert.equal(r.value?.missingValues[0]?.expirationSpec?.mode, ExpireMode.AFTER_WRITE);
  });

  void it("full response round-trips: DELETE+MODIFY, messages, delayed send + cancel, Kafka egress", () => {
    const kafka = encodeKafkaProducerRecord({ key: "alice", valueBytes: utf8("hello alice"), topic: "greetings" });
    const msg = create(FromFunctionSchema, {
      response: {
        case: "invocationResult",
        value: {
          stateMutations: [
            { mutationType: MutationType.DELETE, stateName: "last_seen" },
            {
              mutationType: MutationType.MODIFY,
              stateName: "seen_count",
              stateValue: { typename: "io.statefun.types/int", hasValue: true, value: unhex("0d 03 00 00 00") },
            },
          ],
          outgoingMessages: [
            { target: { namespace: "example", type: "counter", id: "alice" }, argument: tv },
            { target: { namespace: "example", type: "greeter", id: "alice" }, argument: tv },
          ],
          delayedInvocations: [
            { delayInMs: 5_000n, target: addr, argument: tv, cancellationToken: "reminder-alice" },
            { isCancellationRequest: true, cancellationToken: "reminder-bob" },
          ],
          outgoingEgresses: [
            {
              egressNamespace: "example",
              egressType: "greets",
              argument: { typename: KAFKA_PRODUCER_RECORD_TYPENAME, hasValue: true, value: kafka },
            },
          ],
        },
      },
    });
    const bytes = encodeFromFunction(msg);
    assert.equal(hex(bytes.subarray(0, 2)), "a206");
    const back: FromFunction = decodeFromFunction(bytes);
    assert.ok(equals(FromFunctionSchema, back, msg));
    assert.equal(hex(encodeFromFunction(back)), hex(bytes), "re-encoding is byte-identical");

    assert.equal(back.response.case, "invocationResult");
    const r = back.response.value;
    assert.ok(r);
    assert.deepEqual(r.stateMutations.map((m) => [m.mutationType, m.stateName]), [
      [MutationType.DELETE, "last_seen"],
      [MutationType.MODIFY, "seen_count"],
    ]);
    assert.deepEqual(r.stateMutations[1]?.stateValue?.value, unhex("0d 03 00 00 00"));
    assert.deepEqual(r.outgoingMessages.map((m) => m.target?.type), ["counter", "greeter"]);
    assert.equal(r.delayedInvocations[0]?.delayInMs, 5_000n);
    assert.equal(r.delayedInvocations[0]?.cancellationToken, "reminder-alice");
    assert.equal(r.delayedInvocations[1]?.isCancellationRequest, true);
    const egress = r.outgoingEgresses[0];
    assert.equal(egress?.argument?.typename, KAFKA_PRODUCER_RECORD_TYPENAME);
    const record = decodeKafkaProducerRecord(egress?.argument?.value ?? new Uint8Array());
    assert.equal(record.topic, "greetings");
    assert.equal(record.key, "alice");
  });

  void it("an empty body decodes as 'no response set'", () => {
    const r = decodeFromFunction(new Uint8Array());
    assert.equal(r.response.case, undefined);
    assert.equal(r.response.value, undefined);
    assert.equal(encodeFromFunction(r).byteLength, 0);
  });

  void it("an unknown enum number is kept (open enum) for the runtime to reject", () => {
    // mutation_type = 7
    const r = decodeFromFunction(unhex("a2 06 04 0a 02 08 07"));
    assert.equal(r.response.value && "stateMutations" in r.response.value && r.response.value.stateMutations[0]?.mutationType, 7);
  });

  void it("unknown fields are skipped", () => {
    // field 15 varint 1, then an empty invocation_result
    const r = decodeFromFunction(unhex("78 01 a2 06 00"));
    assert.equal(r.response.case, "invocationResult");
  });
});

void describe("decode errors", () => {
  const garbage: Array<[string, string]> = [
    ["wire type 7", "0f"],
    ["truncated length-delimited field", "a2 06 05 0a"],
    ["varint longer than 10 bytes", "ff ff ff ff ff ff ff ff ff ff ff"],
    ["truncated varint", "08"],
    ["field number 0", "00 00"],
    ["an HTML error page", hex(utf8("<html><body>502 Bad Gateway</body></html>"))],
  ];

  for (const [name, bytes] of garbage) {
    void it(`${name} → ProtocolDecodeError (FromFunction and ToFunction)`, () => {
      const input = unhex(bytes);
      for (const decode of [decodeFromFunction, decodeToFunction]) {
        assert.throws(
          () => decode(input),
          (err: unknown) => {
            assert.ok(err instanceof ProtocolDecodeError);
            assert.equal(err.code, "EDDY_PROTOCOL_DECODE");
            assert.equal(err.name, "ProtocolDecodeError");
            assert.equal(err.byteLength, input.byteLength);
            assert.match(err.messageType, /^io\.statefun\.sdk\.reqreply\.(To|From)Function$/);
            assert.ok(err.cause instanceof Error);
            return true;
          },
        );
      }
    });
  }

  void it("random bytes either decode or throw ProtocolDecodeError, never anything else", () => {
    let seed = 0x2545f491;
    const next = (): number => {
      // xorshift32, deterministic
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return seed >>> 0;
    };
    let failures = 0;
    for (let i = 0; i < 3000; i++) {
      const buf = new Uint8Array(next() % 64);
      for (let j = 0; j < buf.length; j++) buf[j] = next() & 0xff;
      // Prefix half of them with a valid top-level tag so the parser gets deeper.
      if (i % 2 === 0 && buf.length > 2) buf.set([0xa2, 0x06], 0);
      try {
        decodeFromFunction(buf);
      } catch (err: unknown) {
        assert.ok(err instanceof ProtocolDecodeError, `unexpected ${String(err)}`);
        failures++;
      }
    }
    assert.ok(failures > 0);
  });
});
