// A function that emits to a Kinesis stream nobody created: the record fails only its own
// invocation (retryable, naming the stream and what to do), records of every other address still
// go out, and once the stream is created the retried invocation's record is written once. Before,
// the record was committed, every PutRecords for it failed with ResourceNotFoundException, and it
// sat in the egress's memory, retried for ever.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { address, defineFunction, kinesisEgressMessage, Types } from "@eddy/sdk";
import { QuarantinePolicy, Runtime } from "@eddy/runtime";
import { KinesisEgress } from "../../src/io/kinesis/kinesis-egress.js";
import { capturingLogger } from "../support/capturing-logger.js";
import type { Kinesalite } from "./kinesalite.js";
import { ACCESS_KEY_ID, createStream, readAll, REGION, SECRET_ACCESS_KEY, startKinesalite, text, uniqueStream, waitFor } from "./kinesalite.js";

describe("Kinesis egress to a stream that does not exist", () => {
  let kinesis: Kinesalite;
  let runtime: Runtime | undefined;
  before(async () => {
    kinesis = await startKinesalite();
  });
  after(async () => {
    await runtime?.stop({ timeoutMs: 5_000 });
    await kinesis.close();
  });

  test("only the invocation naming the missing stream fails, until the stream is created", async () => {
    const present = uniqueStream("present");
    const missing = uniqueStream("missing");
    await createStream(kinesis.client, present, 1);
    const { logger, errors, entries } = capturingLogger();
    // One partition: before the fix nothing blocked, but the record waited in memory for ever.
    runtime = new Runtime({ logger, partitions: 1, retryPolicy: { initialDelayMs: 50, maxDelayMs: 300 }, quarantine: new QuarantinePolicy(1_000_000) });
    runtime.bindEgress(
      new KinesisEgress({
        spec: {
          id: "test/out",
          awsRegion: { type: "custom-endpoint", endpoint: kinesis.endpoint, id: REGION },
          awsCredentials: { type: "basic", accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY },
          maxOutstandingRecords: 100,
          clientConfigProperties: {},
        },
        logger,
        maxRetryBackoffMs: 200,
      }),
    );
    runtime.bindFunction(
      defineFunction({
        typename: "test/emitter",
        fn(ctx, msg) {
          ctx.sendEgress(kinesisEgressMessage({ egress: "test/out", stream: msg.asString(), partitionKey: ctx.self.id, value: `to ${msg.asString()}` }));
        },
      }),
    );
    await runtime.start();
    await runtime.send(address("test/emitter", "a"), { typename: Types.string.typename, value: Types.string.serialize(missing) });
    await runtime.send(address("test/emitter", "b"), { typename: Types.string.typename, value: Types.string.serialize(present) });

    await waitFor(async () => (await readAll(kinesis.client, present)).length === 1, "b's record in its stream");
    assert.deepEqual((await readAll(kinesis.client, present)).map((r) => [r.PartitionKey, text(r.Data)]), [["b", `to ${present}`]]);
    const failures = entries.filter((e) => e.code === "EDDY_INVALID_EGRESS_RECORD");
    assert.ok(failures.length >= 1, "the failed invocation is logged");
    assert.equal(failures[0]!.address, "test/emitter/a");
    assert.match(String(failures[0]!.error), new RegExp(`Kinesis stream "${missing}" does not exist: create it`));
    assert.equal(errors().length, 0, "nothing logged as an error (parked)");
    assert.equal(runtime.pendingEgressRecords().get("test/out"), 0, "nothing for the missing stream waits in the egress");

    await createStream(kinesis.client, missing, 1);
    await waitFor(async () => (await readAll(kinesis.client, missing)).length >= 1, "a's record once the stream exists");
    await runtime.stop({ timeoutMs: 5_000 });
    runtime = undefined;
    assert.deepEqual((await readAll(kinesis.client, missing)).map((r) => [r.PartitionKey, text(r.Data)]), [["a", `to ${missing}`]]);
  });
});
