// A worker reads all its log and ingress source partitions through one SharedFetch: the reads issued together go to
// the broker as one Fetch; a read whose partition moves away (its signal aborts) leaves at once without disturbing the
// others; a partition the broker answers with an error fails alone.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { Consumer } from "@platformatic/kafka";
import { isEddyError } from "@eddy/sdk";
import { SharedFetch } from "../../src/cluster/shared-fetch.js";
import { BROKER, createTopics, produce, requireBroker, unique } from "../kafka/kafka-helpers.js";

const FETCH_API_KEY = 1;
/** The Kafka client publishes each request it sends here (its connections:api tracing channel). */
const API_STARTS = "tracing:plt:kafka:connections:api:start";

/** Counts the Fetch requests sent by any Kafka client of this process while `fn` runs. */
async function countingFetches<T>(fn: () => Promise<T>): Promise<{ result: T; fetches: number }> {
  let fetches = 0;
  const onRequest = (message: unknown): void => {
    if ((message as { apiKey?: number }).apiKey === FETCH_API_KEY) fetches++;
  };
  subscribe(API_STARTS, onRequest);
  try {
    return { result: await fn(), fetches };
  } finally {
    unsubscribe(API_STARTS, onRequest);
  }
}

/** Resolves when the next Fetch request of this process is sent. */
function nextFetch(): Promise<void> {
  return new Promise((resolve) => {
    const onRequest = (message: unknown): void => {
      if ((message as { apiKey?: number }).apiKey !== FETCH_API_KEY) return;
      unsubscribe(API_STARTS, onRequest);
      resolve();
    };
    subscribe(API_STARTS, onRequest);
  });
}

async function withSharedFetch(fn: (reads: SharedFetch) => Promise<void>): Promise<void> {
  const client = new Consumer({ clientId: "eddy-test-shared-fetch", groupId: unique("shared-fetch"), bootstrapBrokers: [BROKER] });
  const reads = new SharedFetch(client, "eddy-test-shared-fetch");
  try {
    await fn(reads);
  } finally {
    await reads.close();
    await new Promise<void>((resolve) => client.close(true, () => resolve()));
  }
}

describe("cluster mode: the worker's shared fetch (real broker)", { timeout: 60_000 }, () => {
  const broker = requireBroker();

  it("reads of four partitions issued together are one Fetch: the partition with records gets them, the idle ones an empty answer", async () => {
    broker.assertUp();
    const topic = unique("shared-fetch");
    await createTopics([topic], 4);
    await produce(topic, ["a", "b", "c"].map((value) => ({ value, partition: 2 })));
    await withSharedFetch(async (reads) => {
      const signal = new AbortController().signal;
      await reads.read(topic, 0, 0n, signal); // the metadata, cached for the reads below
      const { result, fetches } = await countingFetches(() => Promise.all([0, 1, 2, 3].map((p) => reads.read(topic, p, 0n, signal))));
      assert.equal(fetches, 1, "one request for the four partitions");
      assert.deepEqual(result.map((r) => r.records.map((x) => x.value?.toString())), [[], [], ["a", "b", "c"], []]);
      assert.deepEqual(result.map((r) => r.next), [0n, 0n, 3n, 0n]);
    });
  });

  it("a read whose signal aborts while its long poll waits rejects at once with the reason; a read in the same request still gets its records", async () => {
    broker.assertUp();
    const topic = unique("shared-fetch-abort");
    await createTopics([topic], 2);
    await withSharedFetch(async (reads) => {
      const stays = new AbortController().signal;
      await reads.read(topic, 0, 0n, stays);
      const moving = new AbortController();
      const sent = nextFetch();
      const revoked = reads.read(topic, 0, 0n, moving.signal);
      const waiting = reads.read(topic, 1, 0n, stays);
      await sent; // both partitions are in the broker's long poll now
      moving.abort(new Error("partition 0 revoked"));
      await assert.rejects(revoked, /partition 0 revoked/);
      await produce(topic, [{ value: "late", partition: 1 }]);
      // The idle poll may end before the record lands: read on until it arrives, as a partition's fetch loop does.
      let result = await waiting;
      while (result.records.length === 0) result = await reads.read(topic, 1, result.next, stays);
      assert.deepEqual(result.records.map((r) => r.value?.toString()), ["late"]);
    });
  });

  it("a partition the broker answers with an error (a read past its end) fails alone; the other partition of the request gets its records", async () => {
    broker.assertUp();
    const topic = unique("shared-fetch-error");
    await createTopics([topic], 2);
    await produce(topic, [{ value: "x", partition: 0 }]);
    await withSharedFetch(async (reads) => {
      const signal = new AbortController().signal;
      await reads.read(topic, 0, 0n, signal);
      const { result, fetches } = await countingFetches(() => Promise.allSettled([reads.read(topic, 0, 0n, signal), reads.read(topic, 1, 1_000n, signal)]));
      assert.equal(fetches, 1, "both partitions in one request");
      const [good, bad] = result;
      assert.equal(good.status, "fulfilled");
      assert.deepEqual(good.value.records.map((r) => r.value?.toString()), ["x"]);
      assert.equal(bad.status, "rejected");
      assert.ok(isEddyError(bad.reason, "EDDY_CLUSTER_FAILED") && bad.reason.retryable, String(bad.reason));
      assert.match((bad.reason as Error).message, new RegExp(`${topic} partition 1 with Kafka error code 1\\b`), "OFFSET_OUT_OF_RANGE, named with its partition");
    });
  });
});
