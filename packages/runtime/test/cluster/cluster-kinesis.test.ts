// A Kinesis ingress in cluster mode: the stream's shards are read by the worker that owns the stream's log
// partition, and each batch's messages and shard position go into that partition's transaction. Two workers
// run a Kinesis → function → function → timer → Kafka (exactly-once egress) pipeline; the stream's shard is
// split mid-stream and the worker reading the stream is SIGKILLed, then restarted: the survivor resumes each
// shard from the committed position, children after their parent, and a read_committed verifier finds every
// record's effects exactly once, each key's in the order of the stream.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { PutRecordsCommand, SplitShardCommand } from "@aws-sdk/client-kinesis";
import { partitionOf } from "@eddy/runtime";
import { createTopics, requireBroker } from "../kafka/kafka-helpers.js";
import type { EddyProcess, TestRecord } from "../kafka/kafka-helpers.js";
import type { Kinesalite } from "../kinesis/kinesalite.js";
import { ACCESS_KEY_ID, createStream, hashKeyForShard, REGION, SECRET_ACCESS_KEY, shardIds, startKinesalite, uniqueStream, utf8, waitFor } from "../kinesis/kinesalite.js";
import { clusterSetup, generations, readAllCommitted, startWorker, stopAll, verifyExactlyOnce, writePaced } from "./cluster-helpers.js";
import type { OutputRecord, PacedInput } from "./cluster-helpers.js";

function kinesisIngressLines(endpoint: string, stream: string): string[] {
  return [
    "kind: io.statefun.kinesis.v1/ingress",
    "spec:",
    "  id: test/input",
    `  awsRegion: { type: custom-endpoint, endpoint: "${endpoint}", id: ${REGION} }`,
    `  awsCredentials: { type: basic, accessKeyId: ${ACCESS_KEY_ID}, secretAccessKey: ${SECRET_ACCESS_KEY} }`,
    "  startupPosition: { type: earliest }",
    "  streams:",
    `    - { stream: ${stream}, valueType: test/Input, targets: [test/counter] }`,
    "  clientConfigProperties:",
    "    - flink.shard.getrecords.intervalmillis: 20",
    "    - flink.shard.discovery.intervalmillis: 300",
    "    - SocketTimeout: 5000",
  ];
}

/** The worker that runs log partition `p` now: its last line about p says it was assigned, not revoked. */
function holderOf(workers: readonly EddyProcess[], p: number): EddyProcess | undefined {
  return workers.find((w) => {
    const out = w.output();
    return out.lastIndexOf(`partition ${p} assigned: restored`) > out.lastIndexOf(`partition ${p} revoked`);
  });
}

describe("cluster mode with a Kinesis ingress (real broker, kinesalite)", { timeout: 300_000 }, () => {
  const broker = requireBroker();
  let kinesis: Kinesalite;
  before(async () => {
    kinesis = await startKinesalite();
  });
  after(async () => {
    await kinesis.close();
  });

  /** Puts `inputs` to `stream` in slices of 50 (writePaced), retrying a slice while a reshard is under way. */
  function putPaced(stream: string, inputs: readonly TestRecord[]): PacedInput {
    return writePaced(inputs, 50, async (records, from) => {
      const Records = records.map((r) => ({ PartitionKey: r.key, Data: utf8(r.value) }));
      let failed: number | undefined;
      await waitFor(async () => {
        try {
          failed = (await kinesis.client.send(new PutRecordsCommand({ StreamName: stream, Records }))).FailedRecordCount ?? 0;
          return true;
        } catch {
          return false; // refused whole while the stream is UPDATING (a shard splitting)
        }
      }, `records ${from}.. in ${stream}`);
      // Putting a partly failed slice again would put its other records twice.
      assert.equal(failed, 0, `records ${from}.. of ${stream} partly failed`);
    });
  }

  it("two workers; a shard split and the worker reading the stream SIGKILLed mid-stream, then restarted: every record's effects exactly once, each key in stream order", async () => {
    broker.assertUp();
    const stream = uniqueStream("cluster-in");
    await createStream(kinesis.client, stream, 2);
    const s = clusterSetup("kinesis", undefined, undefined, kinesisIngressLines(kinesis.endpoint, stream));
    await createTopics([s.output], 4);
    const p = partitionOf(stream, 8);
    const N = 600;
    const inputs = Array.from({ length: N }, (_, i) => ({ key: `k${i % 24}`, value: `i${i}` }));
    const workers = [startWorker(s), startWorker(s)];
    let running = [...workers];
    try {
      await Promise.all(workers.map((w) => w.waitFor("eddy is running", 60_000)));
      const putting = putPaced(stream, inputs);
      await putting.atLeast(N / 4);
      const [first] = await shardIds(kinesis.client, stream);
      await kinesis.client.send(new SplitShardCommand({ StreamName: stream, ShardToSplit: first!, NewStartingHashKey: hashKeyForShard(1, 4) }));
      await putting.atLeast(N / 2);

      let victim: EddyProcess | undefined;
      await waitFor(() => (victim = holderOf(running, p)) !== undefined && victim.output().includes(`partition ${p}: Kinesis ingress reading`), `a worker reading the stream (partition ${p})`, 60_000);
      const survivor = running.find((w) => w !== victim)!;
      const before = generations(survivor);
      victim!.kill("SIGKILL");
      await victim!.exited;
      running = [survivor];
      await waitFor(() => generations(survivor) > before, "the survivor to rebalance after the kill", 60_000);
      await survivor.waitFor(new RegExp(`partition ${p}: Kinesis ingress reading`), 60_000);
      await putting.atLeast((3 * N) / 4);
      const restarted = startWorker(s);
      running.push(restarted);
      await restarted.waitFor("eddy is running", 60_000);
      await putting.done;

      assert.equal((await shardIds(kinesis.client, stream)).length, 4, "the split closed the first shard and opened two children");
      const out = await readAllCommitted(s.output, N, 120_000, 2_000);
      assert.deepEqual(verifyExactlyOnce(out, inputs).slice(0, 10), []);
      assert.deepEqual(outOfOrder(out).slice(0, 10), [], "each key's records were counted in the order of the stream (children after their parent)");
    } finally {
      assert.deepEqual(await stopAll(running), [], "every running worker drains and exits 0 on SIGTERM");
    }
  });
});

/** Keys whose counter values (n) do not follow their inputs' order in the stream (`i<index>`). */
function outOfOrder(out: readonly OutputRecord[]): string[] {
  const byKey = new Map<string, { n: number; index: number }[]>();
  for (const r of out) {
    const [n, input] = r.value.split(":");
    byKey.set(r.key, [...(byKey.get(r.key) ?? []), { n: Number(n), index: Number(input!.slice(1)) }]);
  }
  const problems: string[] = [];
  for (const [key, seen] of byKey) {
    const indexes = seen.sort((a, b) => a.n - b.n).map((x) => x.index);
    if (indexes.join(",") !== [...indexes].sort((a, b) => a - b).join(",")) problems.push(`key ${key}: inputs in counter order ${indexes.join(",")}`);
  }
  return problems;
}
