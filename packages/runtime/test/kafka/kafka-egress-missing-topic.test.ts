// A broker that does not create topics (auto.create.topics.enable=false) and a function that emits to a
// topic nobody created yet: the record fails only its own invocation, naming the topic and what to do,
// records of every other address still go out, and once the topic is created the retried invocation's
// record appears exactly once. Before, the record was committed to the outbox, every delivery failed
// with UNKNOWN_TOPIC_OR_PARTITION, and the records behind it waited forever. The same for a topic
// deleted after its records were accepted: at least once, only its records wait for it; exactly once
// keeps the records in order, so everything waits, and the log says which topic to create.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { address, defineFunction, kafkaEgressMessage, Types } from "@eddy/sdk";
import { QuarantinePolicy, Runtime } from "@eddy/runtime";
import type { Logger, RuntimeOptions } from "@eddy/runtime";
import { KafkaEgress } from "@eddy/runtime/kafka";
import { createTopics, deleteTopics, readCommitted, unique } from "./kafka-helpers.js";
import { startOwnBroker } from "./own-broker.js";
import type { OwnBroker } from "./own-broker.js";
import { capturingLogger } from "../support/capturing-logger.js";
import { waitFor } from "../support/wait-for.js";

describe("Kafka egress to a topic that does not exist, on a broker that does not create topics", () => {
  let broker: OwnBroker | undefined;
  const runtimes: Runtime[] = [];
  before(async () => {
    broker = await startOwnBroker({ autoCreate: false });
  });
  after(async () => {
    for (const runtime of runtimes) await runtime.stop({ timeoutMs: 5_000 });
    await broker?.stop();
  });

  /** A started runtime whose test/emitter, for a message "T", sends one record to topic T through a Kafka egress of `semantic`. */
  async function emitter(semantic: "at-least-once" | "exactly-once", logger: Logger, runtimeOptions: RuntimeOptions, properties: Record<string, string> = {}): Promise<Runtime> {
    const runtime = new Runtime({ logger, ...runtimeOptions });
    runtimes.push(runtime);
    runtime.bindEgress(
      new KafkaEgress({
        spec: {
          id: "test/out",
          address: broker!.address,
          deliverySemantic: semantic === "exactly-once" ? { type: "exactly-once", transactionTimeout: 60_000 } : { type: "at-least-once" },
          properties: { "transactional.id": unique("egress-tx"), ...properties },
        },
        logger,
      }),
    );
    runtime.bindFunction(
      defineFunction({
        typename: "test/emitter",
        fn(ctx, msg) {
          ctx.sendEgress(kafkaEgressMessage({ egress: "test/out", topic: msg.asString(), key: ctx.self.id, value: `to ${msg.asString()}` }));
        },
      }),
    );
    await runtime.start();
    return runtime;
  }
  const emit = (runtime: Runtime, id: string, topic: string) => runtime.send(address("test/emitter", id), { typename: Types.string.typename, value: Types.string.serialize(topic) });

  for (const semantic of ["at-least-once", "exactly-once"] as const) {
    it(`${semantic}: only the invocation naming the missing topic fails, until the topic is created`, async () => {
      const brokerAddress = broker!.address;
      const present = unique("present");
      const missing = unique("missing");
      await createTopics([present], 1, brokerAddress);
      const { logger, errors, entries } = capturingLogger();
      // One partition: before the fix, the record to the missing topic held up every record behind it.
      // Retried every 300 ms at most, and never parked here: the test decides when the topic appears.
      const runtime = await emitter(semantic, logger, { partitions: 1, retryPolicy: { initialDelayMs: 50, maxDelayMs: 300 }, quarantine: new QuarantinePolicy(1_000_000) });
      await emit(runtime, "a", missing);
      await emit(runtime, "b", present);

      // "a" is processed first (one partition), so its failure is logged by the time "b"'s record is in Kafka.
      const delivered = await readCommitted(present, 1, 30_000, 200, brokerAddress);
      assert.deepEqual(delivered.map((r) => [r.key, r.value]), [["b", `to ${present}`]]);
      const failures = entries.filter((e) => e.code === "EDDY_INVALID_EGRESS_RECORD");
      assert.ok(failures.length >= 1, "the failed invocation is logged");
      assert.equal(failures[0]!.address, "test/emitter/a");
      assert.match(String(failures[0]!.error), new RegExp(`Kafka topic "${missing}" does not exist on ${brokerAddress}.*create it`));
      // Retried with backoff, not parked: the topic may appear without the function changing.
      assert.equal(errors().length, 0, "nothing logged as an error (parked)");

      await createTopics([missing], 1, brokerAddress);
      const late = await readCommitted(missing, 1, 30_000, 1_000, brokerAddress);
      assert.deepEqual(late.map((r) => [r.key, r.value]), [["a", `to ${missing}`]]);
      assert.ok(
        entries.some((e) => e.level === 40 && e["topic"] === missing),
        "the egress warned once that the topic does not exist",
      );
    });
  }

  for (const semantic of ["at-least-once", "exactly-once"] as const) {
    it(`${semantic}: a topic deleted after its record was accepted holds ${semantic === "at-least-once" ? "only its own records" : "the egress, saying which topic"}, until it is created again`, async () => {
      const brokerAddress = broker!.address;
      const gone = unique("gone");
      const kept = unique("kept");
      await createTopics([gone, kept], 1, brokerAddress);
      const { logger, entries } = capturingLogger();
      // The egress lists the topics at start: both exist, so a record to either passes its check.
      const runtime = await emitter(semantic, logger, { partitions: 1 }, { "request.timeout.ms": "3000" });
      await deleteTopics([gone], brokerAddress);
      await emit(runtime, "a", gone);
      await emit(runtime, "b", kept);

      await waitFor("the egress to name the missing topic", () => entries.some((e) => e["topic"] === gone && /does not exist \(deleted after its records were accepted\?\)/.test(e.msg)), 30_000);
      const warning = entries.find((e) => e["topic"] === gone && /deleted after/.test(e.msg))!;
      if (semantic === "at-least-once") {
        assert.match(warning.msg, /create it; its 1 records wait for it, the others go on/);
        const delivered = await readCommitted(kept, 1, 30_000, 200, brokerAddress);
        assert.deepEqual(delivered.map((r) => [r.key, r.value]), [["b", `to ${kept}`]]);
        assert.equal(runtime.pendingEgressRecords().get("test/out"), 1, "the record to the deleted topic waits");
      } else {
        assert.match(warning.msg, /create it; exactly once keeps the records in order, so every record of this egress waits for it/);
      }

      await createTopics([gone], 1, brokerAddress);
      const late = await readCommitted(gone, 1, 30_000, 500, brokerAddress);
      assert.deepEqual(late.map((r) => [r.key, r.value]), [["a", `to ${gone}`]]);
      const behind = await readCommitted(kept, 1, 30_000, 500, brokerAddress);
      assert.deepEqual(behind.map((r) => [r.key, r.value]), [["b", `to ${kept}`]], "b's record exactly once");
    });
  }
});
