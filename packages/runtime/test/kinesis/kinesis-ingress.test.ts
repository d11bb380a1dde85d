import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { CreateStreamCommand, PutRecordCommand, PutRecordsCommand, SplitShardCommand } from "@aws-sdk/client-kinesis";
import { isEddyError, type RoutedMessage } from "@eddy/sdk";
import { createLogger, silentLogger } from "@eddy/runtime";
import type { IngressSink, Logger, InputPosition, TargetProblem } from "@eddy/runtime";
import type { KinesisIngressSpec, KinesisStartupPosition } from "../../src/config/index.js";
import { KinesisIngress, shardPartition } from "../../src/io/kinesis/kinesis-ingress.js";
import { capturingLogger } from "../support/capturing-logger.js";
import type { Kinesalite } from "./kinesalite.js";
import {
  ACCESS_KEY_ID,
  createStream,
  hashKeyForShard,
  readAll,
  REGION,
  SECRET_ACCESS_KEY,
  shardIds,
  startKinesalite,
  text,
  uniqueStream,
  utf8,
  waitFor,
} from "./kinesalite.js";

/** An IngressSink that records what it accepts and keeps positions as the store would. */
class RecordingSink implements IngressSink {
  readonly messages: RoutedMessage[] = [];
  readonly accepted: { count: number; position: InputPosition | undefined }[] = [];
  readonly positions = new Map<string, string>();
  readonly bound: ReadonlySet<string>;

  constructor(bound: readonly string[]) {
    this.bound = new Set(bound);
  }

  accept(messages: readonly RoutedMessage[], position?: InputPosition): Promise<void> {
    this.messages.push(...messages);
    this.accepted.push({ count: messages.length, position });
    if (position !== undefined) this.positions.set(`${position.ingress}|${position.partition}`, position.next);
    return Promise.resolve();
  }

  position(ingress: string, partition: string): string | undefined {
    return this.positions.get(`${ingress}|${partition}`);
  }

  checkTarget(target: { type: string }): TargetProblem | undefined {
    return this.bound.has(target.type) ? undefined : { code: "EDDY_UNKNOWN_FUNCTION", message: `no function is bound for type ${target.type}` };
  }
}

describe("KinesisIngress against kinesalite", () => {
  let kinesis: Kinesalite;
  const running: KinesisIngress[] = [];

  before(async () => {
    kinesis = await startKinesalite();
  });
  after(async () => {
    for (const ingress of running) await ingress.stop();
    await kinesis.close();
  });

  function spec(stream: string, startupPosition: KinesisStartupPosition, targets = ["test/a"]): KinesisIngressSpec {
    return {
      id: "test/in",
      awsRegion: { type: "custom-endpoint", endpoint: kinesis.endpoint, id: REGION },
      awsCredentials: { type: "basic", accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY },
      startupPosition,
      streams: [{ stream, valueType: "test/raw", targets }],
      clientConfigProperties: { "flink.shard.getrecords.intervalmillis": "20" },
    };
  }

  async function start(s: KinesisIngressSpec, sink: IngressSink, logger?: Logger): Promise<KinesisIngress> {
    logger ??= process.env["KDEBUG"] ? createLogger({ level: "trace" }) : silentLogger();
    const ingress = new KinesisIngress({ spec: s, logger, maxIdleBackoffMs: 100, maxErrorBackoffMs: 200, shardDiscoveryIntervalMs: 200 });
    running.push(ingress);
    await ingress.start(sink);
    return ingress;
  }

  test("reads every shard of a 4-shard stream, routes to every target and stores one position per shard", async () => {
    const stream = uniqueStream("multi");
    await createStream(kinesis.client, stream, 4);
    const records = Array.from({ length: 40 }, (_, i) => ({
      PartitionKey: `key-${i % 8}`,
      ExplicitHashKey: hashKeyForShard(i % 4, 4),
      Data: utf8(`value-${i}`),
    }));
    await kinesis.client.send(new PutRecordsCommand({ StreamName: stream, Records: records }));
    const sink = new RecordingSink(["test/a", "test/b"]);
    const ingress = await start(spec(stream, { type: "earliest" }, ["test/a", "test/b"]), sink);
    await waitFor(() => sink.messages.length >= 80, "80 messages");
    await ingress.stop();

    assert.equal(sink.messages.length, 80);
    for (const [i, record] of records.entries()) {
      for (const type of ["test/a", "test/b"]) {
        const m = sink.messages.filter((x) => x.target.type === type && text(x.argument.value) === `value-${i}`);
        assert.equal(m.length, 1, `value-${i} to ${type}`);
        assert.deepEqual(m[0]!.target, { type, id: record.PartitionKey });
        assert.equal(m[0]!.argument.typename, "test/raw");
      }
    }
    // Each shard's stored position is the sequence number of its last record.
    const all = await readAll(kinesis.client, stream);
    const shards = await shardIds(kinesis.client, stream);
    assert.equal(shards.length, 4);
    for (const shard of shards) {
      const last = all.filter((r) => r.shard === shard).at(-1);
      assert.ok(last !== undefined, `records in ${shard}`);
      assert.equal(sink.position("test/in", shardPartition(stream, shard)), last.SequenceNumber);
    }
    assert.ok(sink.accepted.every((a) => a.position?.ingress === "test/in" && a.position.partition.startsWith(`${stream}/`)));
  });

  test("resumes a shard right after its stored position", async () => {
    const stream = uniqueStream("resume");
    await createStream(kinesis.client, stream, 1);
    for (let i = 0; i < 6; i++) await kinesis.client.send(new PutRecordCommand({ StreamName: stream, PartitionKey: "k", Data: utf8(`r${i}`) }));
    const [shard] = await shardIds(kinesis.client, stream);
    const stored = (await readAll(kinesis.client, stream))[2]!.SequenceNumber!;
    const sink = new RecordingSink(["test/a"]);
    sink.positions.set(`test/in|${shardPartition(stream, shard!)}`, stored);
    const ingress = await start(spec(stream, { type: "earliest" }), sink);
    await waitFor(() => sink.messages.length >= 3, "3 messages");
    await new Promise((r) => setTimeout(r, 200));
    await ingress.stop();
    assert.deepEqual(sink.messages.map((m) => text(m.argument.value)), ["r3", "r4", "r5"]);
  });

  test("startupPosition latest skips what the stream already holds; date starts at that time", async () => {
    const stream = uniqueStream("latest");
    await createStream(kinesis.client, stream, 1);
    const put = (value: string) => kinesis.client.send(new PutRecordCommand({ StreamName: stream, PartitionKey: "k", Data: utf8(value) }));
    await put("old");
    await new Promise((r) => setTimeout(r, 50));
    const between = Date.now();
    await new Promise((r) => setTimeout(r, 50));
    await put("new-1");
    const latest = new RecordingSink(["test/a"]);
    const fromDate = new RecordingSink(["test/a"]);
    const a = await start(spec(stream, { type: "latest" }), latest);
    const b = await start({ ...spec(stream, { type: "date", epochMillis: between }), id: "test/in-date" }, fromDate);
    // Give the latest reader time to get its iterator before the next record is written.
    await new Promise((r) => setTimeout(r, 300));
    await put("new-2");
    await waitFor(() => latest.messages.length >= 1 && fromDate.messages.length >= 2, "the new records");
    await new Promise((r) => setTimeout(r, 150));
    await a.stop();
    await b.stop();
    assert.deepEqual(latest.messages.map((m) => text(m.argument.value)), ["new-2"]);
    assert.deepEqual(fromDate.messages.map((m) => text(m.argument.value)), ["new-1", "new-2"]);
  });

  test("after a shard split, the children are read once the parent is read to its end, keeping each key's order", async () => {
    const stream = uniqueStream("split");
    await createStream(kinesis.client, stream, 1);
    const keys = ["a", "b", "c", "d"];
    const put = async (from: number) => {
      await kinesis.client.send(
        new PutRecordsCommand({
          StreamName: stream,
          Records: Array.from({ length: 20 }, (_, i) => ({ PartitionKey: keys[i % 4]!, Data: utf8(String(from + i)) })),
        }),
      );
    };
    await put(0);
    const [parent] = await shardIds(kinesis.client, stream);
    await kinesis.client.send(new SplitShardCommand({ StreamName: stream, ShardToSplit: parent!, NewStartingHashKey: hashKeyForShard(1, 2) }));
    await waitFor(async () => (await shardIds(kinesis.client, stream)).length === 3, "the split");
    await waitFor(async () => {
      try {
        await put(20);
        return true;
      } catch {
        return false;
      }
    }, "the stream to take records after the split");
    const sink = new RecordingSink(["test/a"]);
    const ingress = await start(spec(stream, { type: "earliest" }), sink);
    await waitFor(() => sink.messages.length >= 40, "40 messages");
    await ingress.stop();
    assert.equal(sink.messages.length, 40);
    for (const key of keys) {
      const values = sink.messages.filter((m) => m.target.id === key).map((m) => Number(text(m.argument.value)));
      assert.deepEqual(values, [...values].sort((x, y) => x - y), `order of ${key}`);
      assert.equal(values.length, 10);
    }
    assert.equal(new Set(sink.accepted.map((a) => a.position?.partition)).size, 3);
  });

  test("a stream that does not exist yet is retried until it does", async () => {
    const stream = uniqueStream("late");
    const sink = new RecordingSink(["test/a"]);
    const ingress = await start(spec(stream, { type: "earliest" }), sink);
    await new Promise((r) => setTimeout(r, 300));
    await kinesis.client.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 1 }));
    await createStreamReady(stream);
    await kinesis.client.send(new PutRecordCommand({ StreamName: stream, PartitionKey: "k", Data: utf8("hello") }));
    await waitFor(() => sink.messages.length >= 1, "the record of the late stream");
    await ingress.stop();
    assert.equal(text(sink.messages[0]!.argument.value), "hello");
  });

  async function createStreamReady(stream: string): Promise<void> {
    await waitFor(async () => (await shardIds(kinesis.client, stream).catch(() => [])).length > 0, `stream ${stream}`);
  }

  test("an unreachable endpoint is retried, and stop() ends the retries", async () => {
    const s = spec("nowhere", { type: "earliest" });
    const sink = new RecordingSink(["test/a"]);
    const { logger, entries } = capturingLogger();
    const ingress = await start({ ...s, awsRegion: { type: "custom-endpoint", endpoint: "http://127.0.0.1:1", id: REGION } }, sink, logger);
    const retries = () => entries.filter((e) => e.msg === "cannot list the stream's shards; retrying");
    await waitFor(() => retries().length >= 2, "two retries of the unreachable endpoint");
    const t0 = Date.now();
    await ingress.stop();
    assert.ok(Date.now() - t0 < 5_000, "stop() returns promptly");
    assert.equal(sink.messages.length, 0);
  });

  test("a target with no bound function fails start() with EDDY_CONFIG_INVALID", async () => {
    const ingress = new KinesisIngress({ spec: spec("s", { type: "earliest" }, ["test/missing"]), logger: silentLogger() });
    await assert.rejects(
      () => ingress.start(new RecordingSink(["test/a"])),
      (error: unknown) => isEddyError(error, "EDDY_CONFIG_INVALID") && /test\/missing/.test(error.message),
    );
    await ingress.stop();
  });
});
