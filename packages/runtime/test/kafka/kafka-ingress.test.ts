import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Address, RoutedMessage, TypedValue } from "@eddy/sdk";
import type { KafkaIngressSpec, KafkaStartupPosition } from "../../src/config/index.js";
import type { InputPosition, IngressSink, TargetProblem } from "../../src/model/ingress.js";
import { KafkaIngress } from "../../src/io/kafka/kafka-ingress.js";
import { createLogger } from "../../src/log/logger.js";
import { BROKER, createTopics, produce, produceTransactions, requireBroker, unique } from "./kafka-helpers.js";

/** Collects what the ingress accepts, and serves stored positions like Eddy's store does. */
class RecordingSink implements IngressSink {
  readonly messages: RoutedMessage[] = [];
  readonly accepts: { count: number; position: InputPosition | undefined }[] = [];
  readonly positions = new Map<string, string>();

  accept(messages: readonly RoutedMessage[], position?: InputPosition): Promise<void> {
    this.messages.push(...messages);
    this.accepts.push({ count: messages.length, position });
    if (position !== undefined) this.positions.set(`${position.ingress}|${position.partition}`, position.next);
    return Promise.resolve();
  }

  position(ingress: string, partition: string): string | undefined {
    return this.positions.get(`${ingress}|${partition}`);
  }

  checkTarget(_target: Address, _argument: TypedValue): TargetProblem | undefined {
    return undefined;
  }

  values(): string[] {
    return this.messages.map((m) => `${m.target.id}=${Buffer.from(m.argument.value ?? new Uint8Array()).toString()}`);
  }
}

function spec(topic: string, startupPosition: KafkaStartupPosition, group = unique("group")): KafkaIngressSpec {
  return {
    id: "test/names",
    address: BROKER,
    consumerGroupId: group,
    topics: [{ topic, valueType: "example/Name", targets: ["apache/greeter", "apache/audit"] }],
    startupPosition,
    autoOffsetResetPosition: "earliest",
    properties: {},
  };
}

async function until(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 25));
  }
}

const logger = createLogger({ level: "silent" });

describe("Kafka ingress (real broker)", { timeout: 120_000 }, () => {
  const broker = requireBroker();
  after(() => undefined);

  it("routes each record to every target with the key as id, raw value bytes, and stores the next offset with the batch", async () => {
    broker.assertUp();
    const topic = unique("in");
    await createTopics([topic], 1);
    await produce(topic, [
      { key: "u1", value: "Ann" },
      { key: "u2", value: "Bob" },
    ]);
    const sink = new RecordingSink();
    const ingress = new KafkaIngress({ spec: spec(topic, { type: "earliest" }), logger });
    await ingress.start(sink);
    try {
      await until(() => sink.messages.length === 4);
      assert.deepEqual(sink.values(), ["u1=Ann", "u1=Ann", "u2=Bob", "u2=Bob"]);
      assert.deepEqual(
        sink.messages.map((m) => m.target.type),
        ["apache/greeter", "apache/audit", "apache/greeter", "apache/audit"],
      );
      assert.equal(sink.messages[0]!.argument.typename, "example/Name");
      // One accept per partition batch, carrying the offset to resume from.
      assert.deepEqual(sink.accepts.at(-1)!.position, { ingress: "test/names", partition: `${topic}/0`, next: "2" });
    } finally {
      await ingress.stop();
    }
  });

  it("skips a record without key with a logged error naming ingress, topic, partition and offset, and goes on", async () => {
    broker.assertUp();
    const topic = unique("in");
    await createTopics([topic], 1);
    await produce(topic, [{ key: "u1", value: "Ann" }, { value: "no key" }, { key: "u2", value: "Bob" }]);
    const lines: string[] = [];
    const { pino } = await import("pino");
    const capture = pino({ level: "info" }, { write: (l: string) => lines.push(l) });
    const sink = new RecordingSink();
    const ingress = new KafkaIngress({ spec: spec(topic, { type: "earliest" }), logger: capture });
    await ingress.start(sink);
    try {
      await until(() => sink.messages.length === 4);
      assert.deepEqual(sink.values(), ["u1=Ann", "u1=Ann", "u2=Bob", "u2=Bob"]);
      assert.equal(ingress.keylessRecords, 1);
      const error = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l["level"] === 50)!;
      assert.equal(error["ingress"], "test/names");
      assert.equal(error["topic"], topic);
      assert.equal(error["partition"], 0);
      assert.equal(error["offset"], "1");
      assert.match(String(error["msg"]), /has no key/);
      assert.equal(sink.positions.get(`test/names|${topic}/0`), "3");
    } finally {
      await ingress.stop();
    }
  });

  it("startup positions: earliest, latest, specific-offsets, date, group-offsets", async () => {
    broker.assertUp();
    const topic = unique("in");
    await createTopics([topic], 2);
    await produce(topic, [
      { key: "a", value: "0", partition: 0 },
      { key: "a", value: "1", partition: 0 },
      { key: "a", value: "2", partition: 0 },
      { key: "b", value: "0", partition: 1 },
    ]);
    const dateBoundary = Date.now() + 5;
    await new Promise((r) => setTimeout(r, 20));
    await produce(topic, [{ key: "a", value: "3", partition: 0 }]);

    const run = async (startup: KafkaStartupPosition, expected: number, group?: string, then?: () => Promise<void>) => {
      const sink = new RecordingSink();
      const ingress = new KafkaIngress({ spec: spec(topic, startup, group), logger });
      await ingress.start(sink);
      try {
        if (then !== undefined) {
          await new Promise((r) => setTimeout(r, 1_000));
          await then();
        }
        await until(() => sink.messages.length >= expected * 2);
        await new Promise((r) => setTimeout(r, 300));
        return sink.values().filter((_, i) => i % 2 === 0);
      } finally {
        await ingress.stop();
      }
    };
    assert.deepEqual((await run({ type: "earliest" }, 5)).sort(), ["a=0", "a=1", "a=2", "a=3", "b=0"]);
    assert.deepEqual(await run({ type: "latest" }, 1, undefined, () => produce(topic, [{ key: "c", value: "new", partition: 1 }])), ["c=new"]);
    // Partition 1 is not named: it falls back to group offsets (none) and then to autoOffsetResetPosition (earliest).
    assert.deepEqual(
      (await run({ type: "specific-offsets", offsets: [{ topic, partition: 0, offset: 2 }] }, 4)).sort(),
      ["a=2", "a=3", "b=0", "c=new"],
    );
    // Records at or after the date on each partition (c=new came later, on partition 1).
    assert.deepEqual((await run({ type: "date", epochMillis: dateBoundary }, 2)).sort(), ["a=3", "c=new"]);
    // group-offsets: a first run commits the group's offsets (for monitoring); a second run of the same group starts there.
    const group = unique("group");
    await run({ type: "earliest" }, 6, group);
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(await run({ type: "group-offsets" }, 1, group, () => produce(topic, [{ key: "d", value: "after", partition: 0 }])), ["d=after"]);
  });

  it("resumes from the position in Eddy's store rather than the startup position", async () => {
    broker.assertUp();
    const topic = unique("in");
    await createTopics([topic], 1);
    await produce(topic, ["0", "1", "2", "3", "4"].map((v) => ({ key: "k", value: v })));
    const sink = new RecordingSink();
    sink.positions.set(`test/names|${topic}/0`, "3");
    const ingress = new KafkaIngress({ spec: spec(topic, { type: "earliest" }), logger });
    await ingress.start(sink);
    try {
      await until(() => sink.messages.length === 4);
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(sink.values().filter((_, i) => i % 2 === 0), ["k=3", "k=4"]);
    } finally {
      await ingress.stop();
    }
  });

  it("skips a record whose value the target function rejects, says where, and goes on with the others", async () => {
    broker.assertUp();
    const topic = unique("in");
    await createTopics([topic], 1);
    await produce(topic, [{ key: "u1", value: "Ann" }, { key: "u2", value: "bad" }, { key: "u3", value: "Cid" }]);
    const lines: string[] = [];
    const { pino } = await import("pino");
    const capture = pino({ level: "info" }, { write: (l: string) => lines.push(l) });
    const sink = new RecordingSink();
    sink.checkTarget = (_target: Address, argument: TypedValue) =>
      Buffer.from(argument.value ?? new Uint8Array()).toString() === "bad" ? { code: "EDDY_DECODE_FAILED" as const, message: "cannot decode example/Name: not a name" } : undefined;
    const ingress = new KafkaIngress({ spec: spec(topic, { type: "earliest" }), logger: capture });
    await ingress.start(sink);
    try {
      await until(() => sink.messages.length === 4);
      assert.deepEqual(sink.values(), ["u1=Ann", "u1=Ann", "u3=Cid", "u3=Cid"]);
      assert.equal(ingress.rejectedRecords, 2, "one record, rejected by both targets");
      const error = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l["level"] === 50)!;
      assert.equal(error["topic"], topic);
      assert.equal(error["offset"], "1");
      assert.match(String(error["msg"]), /offset 1 is skipped: cannot decode example\/Name/);
    } finally {
      await ingress.stop();
    }
  });
});

describe("Kafka ingress with isolation.level=read_committed (real broker)", { timeout: 120_000 }, () => {
  const broker = requireBroker();

  it("delivers only committed transactions' records, also when one producer aborted several transactions in a row", async () => {
    broker.assertUp();
    const topic = unique("txn-in");
    await createTopics([topic], 1);
    // One transactional id: every transaction has the same producer id, as a long-lived exactly-once writer's do.
    await produceTransactions(topic, [
      { commit: false, records: [{ key: "a1", value: "aborted-1" }] },
      { commit: false, records: [{ key: "a2", value: "aborted-2" }, { key: "a3", value: "aborted-3" }] },
      { commit: true, records: [{ key: "c1", value: "committed-1" }] },
      { commit: false, records: [{ key: "a4", value: "aborted-4" }] },
      { commit: true, records: [{ key: "c2", value: "committed-2" }] },
    ]);
    const sink = new RecordingSink();
    const ingress = new KafkaIngress({ spec: { ...spec(topic, { type: "earliest" }), properties: { "isolation.level": "read_committed" } }, logger });
    await ingress.start(sink);
    try {
      // c2 is the last record: any aborted record that leaked was delivered before it.
      await until(() => sink.values().includes("c2=committed-2"));
      assert.deepEqual(sink.values(), ["c1=committed-1", "c1=committed-1", "c2=committed-2", "c2=committed-2"]);
    } finally {
      await ingress.stop();
    }
  });
});
