import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { CreateStreamCommand, PutRecordsCommand } from "@aws-sdk/client-kinesis";
import type { PutRecordsCommandInput, PutRecordsCommandOutput } from "@aws-sdk/client-kinesis";
import { egressMessage, kinesisEgressMessage, stringMessage, Types } from "@eddy/sdk";
import type { TypedValue } from "@eddy/sdk";
import { silentLogger } from "@eddy/runtime";
import type { KinesisEgressSpec } from "../../src/config/index.js";
import type { KinesisApi } from "../../src/io/kinesis/kinesis-client.js";
import { KinesisEgress } from "../../src/io/kinesis/kinesis-egress.js";
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
  waitFor,
} from "./kinesalite.js";

function record(stream: string, partitionKey: string, value: string, explicitHashKey?: string): TypedValue {
  return kinesisEgressMessage({
    egress: "test/out",
    stream,
    partitionKey,
    value,
    ...(explicitHashKey === undefined ? {} : { explicitHashKey }),
  }).argument;
}

function egressSpec(endpoint: string, maxOutstandingRecords = 1000): KinesisEgressSpec {
  return {
    id: "test/out",
    awsRegion: { type: "custom-endpoint", endpoint, id: REGION },
    awsCredentials: { type: "basic", accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY },
    maxOutstandingRecords,
    clientConfigProperties: {},
  };
}

/** Acknowledged ids, as the runtime's EgressContext would receive them. */
function ackRecorder(): { acked: number[]; context: { acknowledge(ids: readonly number[]): void } } {
  const acked: number[] = [];
  return { acked, context: { acknowledge: (ids) => acked.push(...ids) } };
}

describe("KinesisEgress.check", () => {
  const egress = new KinesisEgress({ spec: egressSpec("http://127.0.0.1:1"), logger: silentLogger() });
  after(() => egress.stop());
  /** The reason a record is refused for good (a temporary refusal fails the test). */
  const refusal = (r: TypedValue): string | undefined => {
    const check = egress.check(r);
    assert.ok(typeof check !== "object", `a permanent reason, not ${JSON.stringify(check)}`);
    return check;
  };

  test("accepts a KinesisEgressRecord", () => {
    assert.equal(refusal(record("s", "k", "v")), undefined);
    assert.equal(refusal(record("s", "k", "v", "340282366920938463463374607431768211455")), undefined);
  });

  test("rejects records of any other type, naming the type it takes", () => {
    const reason = refusal(stringMessage({ type: "x/y", id: "1" }, "hi").argument);
    assert.match(reason ?? "", /takes only records of type type\.googleapis\.com\/io\.statefun\.sdk\.egress\.KinesisEgressRecord/);
    assert.match(reason ?? "", /not io\.statefun\.types\/string/);
    const generic = refusal(egressMessage({ egress: "test/out", type: Types.string, value: "hi" }).argument);
    assert.match(generic ?? "", /not io\.statefun\.types\/string/);
    assert.match(refusal({ typename: "example/Other", value: new Uint8Array([1]) }) ?? "", /not example\/Other/);
  });

  test("rejects records Kinesis would refuse: no stream, no or long partition key, bad hash key, too large", () => {
    assert.match(refusal(record("", "k", "v")) ?? "", /needs a stream/);
    assert.match(refusal(record("s", "", "v")) ?? "", /partition key of 1 to 256/);
    assert.match(refusal(record("s", "k".repeat(257), "v")) ?? "", /partition key of 1 to 256/);
    assert.match(refusal(record("s", "k", "v", "abc")) ?? "", /explicit hash key "abc"/);
    assert.match(refusal(record("s", "k", "v", (1n << 128n).toString())) ?? "", /explicit hash key/);
    assert.match(refusal(record("s", "k", "x".repeat(1024 * 1024))) ?? "", /at most 1048576 bytes/);
    assert.match(refusal({ typename: "type.googleapis.com/io.statefun.sdk.egress.KinesisEgressRecord", value: new Uint8Array([0xff]) }) ?? "", /not a valid KinesisEgressRecord/);
  });
});

describe("KinesisEgress against kinesalite", () => {
  let kinesis: Kinesalite;
  before(async () => {
    kinesis = await startKinesalite();
  });
  after(() => kinesis.close());

  test("writes records with their partition key and explicit hash key, then acknowledges them", async () => {
    const stream = uniqueStream("out");
    await createStream(kinesis.client, stream, 2);
    const egress = new KinesisEgress({ spec: egressSpec(kinesis.endpoint), logger: silentLogger() });
    const { acked, context } = ackRecorder();
    await egress.start(context);
    const records = [record(stream, "a", "one", hashKeyForShard(1, 2)), record(stream, "b", "two", hashKeyForShard(1, 2)), record(stream, "c", "three")];
    egress.deliver(records, [11, 12, 13]);
    await waitFor(() => acked.length === 3, "3 acknowledgements");
    await egress.stop();
    assert.deepEqual([...acked].sort(), [11, 12, 13]);
    const written = await readAll(kinesis.client, stream);
    assert.deepEqual(written.map((r) => `${r.PartitionKey}:${text(r.Data)}`).sort(), ["a:one", "b:two", "c:three"]);
    const [, second] = await shardIds(kinesis.client, stream);
    // The explicit hash key, not the partition key, chose the shard.
    assert.deepEqual(written.filter((r) => r.shard === second && r.PartitionKey !== "c").map((r) => text(r.Data)), ["one", "two"]);
  });

  test("records for a stream that does not exist yet are retried, and acknowledged once written", async () => {
    const stream = uniqueStream("late-out");
    const egress = new KinesisEgress({ spec: egressSpec(kinesis.endpoint), logger: silentLogger(), maxRetryBackoffMs: 100 });
    const { acked, context } = ackRecorder();
    await egress.start(context);
    egress.deliver([record(stream, "k", "v1"), record(stream, "k", "v2")], [1, 2]);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(acked, []);
    assert.equal(egress.pendingRecords, 2);
    await kinesis.client.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 1 }));
    await waitFor(() => acked.length === 2, "acknowledgements after the stream appeared");
    await egress.stop();
    assert.deepEqual((await readAll(kinesis.client, stream)).map((r) => text(r.Data)), ["v1", "v2"]);
  });
});

/** A stand-in client that answers PutRecords as `answer` says and records each request. */
function fakeClient(answer: (input: PutRecordsCommandInput, call: number) => PutRecordsCommandOutput | Promise<PutRecordsCommandOutput>) {
  const calls: PutRecordsCommandInput[] = [];
  let inFlight = 0;
  let maxInFlightRecords = 0;
  const client = {
    async send(command: unknown) {
      assert.ok(command instanceof PutRecordsCommand);
      const input = command.input;
      calls.push(input);
      inFlight += input.Records!.length;
      maxInFlightRecords = Math.max(maxInFlightRecords, inFlight);
      try {
        await new Promise((r) => setTimeout(r, 5));
        return await answer(input, calls.length);
      } finally {
        inFlight -= input.Records!.length;
      }
    },
    destroy() {},
  };
  const api: KinesisApi = client;
  return { client: api, calls, maxInFlight: () => maxInFlightRecords };
}

const ok = (input: PutRecordsCommandInput): PutRecordsCommandOutput => ({
  $metadata: {},
  FailedRecordCount: 0,
  Records: input.Records!.map((_, i) => ({ SequenceNumber: String(i), ShardId: "shardId-0" })),
});

describe("KinesisEgress batching and retries", () => {
  test("sends at most 500 records per PutRecords and at most maxOutstandingRecords at once, one stream per request", async () => {
    const fake = fakeClient(ok);
    const egress = new KinesisEgress({ spec: egressSpec("http://unused", 700), logger: silentLogger(), client: fake.client });
    const { acked, context } = ackRecorder();
    await egress.start(context);
    const records = Array.from({ length: 2000 }, (_, i) => record(i % 2 === 0 ? "even" : "odd", `k${i}`, `v${i}`));
    egress.deliver(records, records.map((_, i) => i));
    await waitFor(() => acked.length === 2000, "every record acknowledged");
    await egress.stop();
    assert.ok(fake.calls.every((c) => c.Records!.length <= 500), "≤ 500 per request");
    assert.ok(fake.maxInFlight() <= 700, `in flight ≤ maxOutstandingRecords (was ${fake.maxInFlight()})`);
    for (const c of fake.calls) {
      assert.ok(c.Records!.every((r) => Number(r.PartitionKey!.slice(1)) % 2 === (c.StreamName === "even" ? 0 : 1)));
    }
    // Each stream's records went out in the order delivered.
    const even = fake.calls.filter((c) => c.StreamName === "even").flatMap((c) => c.Records!.map((r) => Number(r.PartitionKey!.slice(1))));
    assert.deepEqual(even, [...even].sort((a, b) => a - b));
    assert.equal(even.length, 1000);
  });

  test("retries only the records Kinesis rejected, acknowledging the others at once", async () => {
    const fake = fakeClient((input, call) =>
      call === 1
        ? {
            $metadata: {},
            FailedRecordCount: 2,
            Records: input.Records!.map((_, i) =>
              i === 1 || i === 3
                ? { ErrorCode: "ProvisionedThroughputExceededException", ErrorMessage: "slow down" }
                : { SequenceNumber: String(i), ShardId: "shardId-0" },
            ),
          }
        : ok(input),
    );
    const egress = new KinesisEgress({ spec: egressSpec("http://unused"), logger: silentLogger(), client: fake.client, maxRetryBackoffMs: 50 });
    const { acked, context } = ackRecorder();
    await egress.start(context);
    egress.deliver([0, 1, 2, 3, 4].map((i) => record("s", `k${i}`, `v${i}`)), [100, 101, 102, 103, 104]);
    await waitFor(() => acked.length === 5, "every record acknowledged");
    await egress.stop();
    assert.deepEqual(acked, [100, 102, 104, 101, 103]);
    assert.equal(fake.calls.length, 2);
    assert.deepEqual(fake.calls[1]!.Records!.map((r) => r.PartitionKey), ["k1", "k3"]);
    // A record without a hash key is sent without one.
    assert.ok(fake.calls[0]!.Records!.every((r) => !("ExplicitHashKey" in r)));
  });

  test("a failing PutRecords is retried with its whole batch; stop() gives up after the drain timeout without acknowledging", async () => {
    const fake = fakeClient(() => {
      throw Object.assign(new Error("boom"), { name: "InternalFailure" });
    });
    const egress = new KinesisEgress({
      spec: egressSpec("http://unused"),
      logger: silentLogger(),
      client: fake.client,
      maxRetryBackoffMs: 20,
      drainTimeoutMs: 200,
    });
    const { acked, context } = ackRecorder();
    await egress.start(context);
    egress.deliver([record("s", "k", "v")], [7]);
    await waitFor(() => fake.calls.length >= 3, "three attempts");
    await egress.stop();
    assert.deepEqual(acked, []);
  });
});
