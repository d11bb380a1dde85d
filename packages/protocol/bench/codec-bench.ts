// Micro-benchmark of the request-reply codecs (not run by the tests).
//
// Usage: node --conditions=eddy-source --import tsx packages/protocol/bench/codec-bench.ts [N]
// Prints one JSON line with encode/decode ops/s for a typical ToFunction
// (target, 3 states, 1 invocation with caller) and FromFunction (2 mutations,
// 1 outgoing message, 1 delayed send, 1 egress).
import { performance } from "node:perf_hooks";
import {
  FromFunctionSchema,
  FromFunction_PersistedValueMutation_MutationType as MutationType,
  KAFKA_PRODUCER_RECORD_TYPENAME,
  ToFunctionSchema,
  create,
  decodeFromFunction,
  decodeToFunction,
  encodeFromFunction,
  encodeKafkaProducerRecord,
  encodeToFunction,
} from "../src/index.js";

const n = Number(process.argv[2] ?? 200_000);
const bytesOf = (size: number, fill: number): Uint8Array => new Uint8Array(size).fill(fill);

const toFunction = create(ToFunctionSchema, {
  request: {
    case: "invocation",
    value: {
      target: { namespace: "example", type: "greeter", id: "user-12345" },
      state: [
        { stateName: "seen_count", stateValue: { typename: "io.statefun.types/int", hasValue: true, value: bytesOf(5, 1) } },
        { stateName: "profile", stateValue: { typename: "example/Profile", hasValue: true, value: bytesOf(64, 0x61) } },
        { stateName: "last_seen" },
      ],
      invocations: [
        {
          caller: { namespace: "example", type: "router", id: "user-12345" },
          argument: { typename: "example/GreetRequest", hasValue: true, value: bytesOf(100, 0x62) },
        },
      ],
    },
  },
});

const fromFunction = create(FromFunctionSchema, {
  response: {
    case: "invocationResult",
    value: {
      stateMutations: [
        { mutationType: MutationType.MODIFY, stateName: "seen_count", stateValue: { typename: "io.statefun.types/int", hasValue: true, value: bytesOf(5, 2) } },
        { mutationType: MutationType.DELETE, stateName: "last_seen" },
      ],
      outgoingMessages: [
        {
          target: { namespace: "example", type: "counter", id: "user-12345" },
          argument: { typename: "example/Count", hasValue: true, value: bytesOf(16, 0x63) },
        },
      ],
      delayedInvocations: [
        {
          delayInMs: 60_000n,
          cancellationToken: "reminder-user-12345",
          target: { namespace: "example", type: "greeter", id: "user-12345" },
          argument: { typename: "example/Reminder", hasValue: true, value: bytesOf(32, 0x64) },
        },
      ],
      outgoingEgresses: [
        {
          egressNamespace: "example",
          egressType: "greets",
          argument: {
            typename: KAFKA_PRODUCER_RECORD_TYPENAME,
            hasValue: true,
            value: encodeKafkaProducerRecord({ key: "user-12345", valueBytes: bytesOf(100, 0x65), topic: "greetings" }),
          },
        },
      ],
    },
  },
});

function opsPerSec(fn: () => unknown): number {
  for (let i = 0; i < Math.min(n, 20_000); i++) fn(); // warm-up
  const start = performance.now();
  for (let i = 0; i < n; i++) fn();
  return Math.round(n / ((performance.now() - start) / 1000));
}

const toBytes = encodeToFunction(toFunction);
const fromBytes = encodeFromFunction(fromFunction);

process.stdout.write(
  JSON.stringify({
    iterations: n,
    node: process.version,
    toFunction: {
      bytes: toBytes.byteLength,
      encodeOpsPerSec: opsPerSec(() => encodeToFunction(toFunction)),
      decodeOpsPerSec: opsPerSec(() => decodeToFunction(toBytes)),
    },
    fromFunction: {
      bytes: fromBytes.byteLength,
      encodeOpsPerSec: opsPerSec(() => encodeFromFunction(fromFunction)),
      decodeOpsPerSec: opsPerSec(() => decodeFromFunction(fromBytes)),
    },
  }) + "\n",
);
