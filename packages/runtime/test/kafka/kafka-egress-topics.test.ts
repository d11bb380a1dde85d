// A function that emits a Kafka record to a topic name Kafka refuses: the invocation fails at its
// address with EDDY_INVALID_EGRESS_RECORD naming the topic, the record never reaches the producer
// (where it would fail the whole transaction), and records to valid topics still go out.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { address, defineFunction, kafkaEgressMessage, Types } from "@eddy/sdk";
import { Runtime } from "@eddy/runtime";
import { KafkaEgress } from "@eddy/runtime/kafka";
import { until } from "../runtime/helpers.js";
import { BROKER, brokerUp, createTopics, NO_BROKER, readCommitted, unique } from "./kafka-helpers.js";
import { capturingLogger } from "../support/capturing-logger.js";

describe("Kafka egress topic names", () => {
  // No broker is a failure, not a skip: `npm test` starts one (scripts/run-tests.mjs).
  let up = false;
  before(async () => {
    up = await brokerUp();
  });
  const runtimes: Runtime[] = [];
  after(async () => {
    for (const runtime of runtimes) await runtime.stop({ timeoutMs: 5_000 });
  });

  it("a record to a topic Kafka would refuse fails only its invocation, with the rule; valid topics still get theirs", async () => {
    assert.ok(up, NO_BROKER);
    const topic = unique("egress-topics");
    await createTopics([topic], 1);
    const { logger, errors } = capturingLogger();
    const runtime = new Runtime({ logger, partitions: 1 });
    runtimes.push(runtime);
    runtime.bindEgress(
      new KafkaEgress({
        spec: { id: "test/out", address: BROKER, deliverySemantic: { type: "at-least-once" }, properties: {} },
        logger,
      }),
    );
    runtime.bindFunction(
      defineFunction({
        typename: "test/emitter",
        fn(ctx, msg) {
          ctx.sendEgress(kafkaEgressMessage({ egress: "test/out", topic: msg.asString(), key: ctx.self.id, value: "hello" }));
        },
      }),
    );
    await runtime.start();
    await runtime.send(address("test/emitter", "bad"), { typename: Types.string.typename, value: Types.string.serialize("user logins") });
    await runtime.send(address("test/emitter", "good"), { typename: Types.string.typename, value: Types.string.serialize(topic) });
    await until(() => errors().length >= 1, "the failed invocation's log line", 200_000);
    assert.equal(errors()[0]!.code, "EDDY_INVALID_EGRESS_RECORD");
    assert.match(String(errors()[0]!.error), /"user logins" is not a topic name: Kafka allows only ASCII letters, digits, "\.", "_" and "-"/);
    const out = await readCommitted(topic, 1, 20_000, 200);
    assert.deepEqual(
      out.map((r) => [r.key, r.value]),
      [["good", "hello"]],
    );
  });
});
