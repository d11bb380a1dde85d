// A Kafka egress whose broker hangs while input keeps coming: the egress holds at most
// maxPendingEgressRecords records in memory, then the ingress waits (instead of the queue growing
// without bound until the process runs out of memory); the log says which egress and what to check;
// once the broker answers again the records go out, the ingress goes on, and nothing is lost.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { address, defineFunction, kafkaEgressMessage, Types } from "@eddy/sdk";
import { Runtime } from "@eddy/runtime";
import { KafkaEgress } from "@eddy/runtime/kafka";
import { createTopics, readCommitted, unique } from "./kafka-helpers.js";
import { startOwnBroker } from "./own-broker.js";
import type { OwnBroker } from "./own-broker.js";
import { capturingLogger } from "../support/capturing-logger.js";
import { waitFor } from "../support/wait-for.js";

describe("Kafka egress while its broker hangs", () => {
  let broker: OwnBroker | undefined;
  let runtime: Runtime | undefined;
  before(async () => {
    // A broker of its own: this test freezes it.
    broker = await startOwnBroker({ autoCreate: true });
  });
  after(async () => {
    broker?.resume();
    await runtime?.stop({ timeoutMs: 5_000 });
    await broker?.stop();
  });

  it("holds at most maxPendingEgressRecords records, makes the ingress wait, and delivers everything once the broker answers", async () => {
    const brokerAddress = broker!.address;
    const topic = unique("outage");
    await createTopics([topic], 1, brokerAddress);
    const limit = 20;
    const { logger, entries } = capturingLogger();
    runtime = new Runtime({ logger, partitions: 2, maxPendingEgressRecords: limit });
    runtime.bindEgress(new KafkaEgress({ spec: { id: "test/out", address: brokerAddress, deliverySemantic: { type: "at-least-once" }, properties: {} }, logger }));
    let processed = 0;
    runtime.bindFunction(
      defineFunction({
        typename: "test/emitter",
        fn(ctx, msg) {
          ctx.sendEgress(kafkaEgressMessage({ egress: "test/out", topic, key: ctx.self.id, value: msg.asString() }));
          processed++;
        },
      }),
    );
    await runtime.start();
    const send = (n: number) => runtime!.send(address("test/emitter", `k${n % 7}`), { typename: Types.string.typename, value: Types.string.serialize(`r${n}`) });

    // Healthy: the first records go straight out.
    for (let n = 0; n < 5; n++) await send(n);
    await readCommitted(topic, 5, 30_000, 0, brokerAddress);

    broker!.pause();
    // One message at a time, each sent once the previous one's record reached the egress, as a steady
    // source would. Waiting only for the function to have run let the next message in before its
    // commit handed the record over (the hold comes with the hand-over): 26 accepted instead of 25 at load 14.
    let accepted = 5;
    let resumed = false;
    const total = 60;
    const held = (n: number): boolean => resumed || (runtime!.pendingEgressRecords().get("test/out") ?? 0) >= Math.min(n - 4, limit);
    const sending = (async () => {
      for (let n = 5; n < total; n++) {
        await send(n);
        accepted++;
        await waitFor(`message r${n} processed and its record with the egress`, () => processed > n && held(n), 30_000);
      }
    })();
    await waitFor("the egress to hold the ingress", () => entries.some((e) => e.egress === "test/out" && e.level === 40 && e["limit"] === limit), 30_000);
    const holding = entries.find((e) => e.egress === "test/out" && e["limit"] === limit)!;
    assert.match(holding.msg, /egress test\/out holds 20 records it could not deliver yet; ingresses wait until it is down to 10 \(check that what it writes to is reachable/);
    assert.equal(runtime.pendingEgressRecords().get("test/out"), limit);
    // The 20 records emitted since the pause are all the egress holds; the next message waits at the gate.
    assert.equal(accepted, 5 + limit);
    assert.equal(processed, 5 + limit);

    resumed = true;
    broker!.resume();
    await sending;
    assert.equal(accepted, total);
    assert.ok(entries.some((e) => e.egress === "test/out" && e.level === 30 && /is delivering again; ingresses go on/.test(e.msg)), "the log says the ingresses go on");
    const records = await readCommitted(topic, total, 60_000, 500, brokerAddress);
    // At-least-once: a produce request the hung broker took before its client gave up may appear twice.
    const values = new Set(records.map((r) => r.value));
    assert.deepEqual([...values].sort(), Array.from({ length: total }, (_, n) => `r${n}`).sort());
    await waitFor("the egress to hold nothing", () => runtime!.pendingEgressRecords().get("test/out") === 0);
  });
});
