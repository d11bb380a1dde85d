import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutRecordsCommand } from "@aws-sdk/client-kinesis";
import { buildRuntime, LmdbStateStore, parseModuleYaml, silentLogger } from "@eddy/runtime";
import type { Runtime } from "@eddy/runtime";
import type { Kinesalite } from "./kinesalite.js";
import { ACCESS_KEY_ID, createStream, readAll, REGION, SECRET_ACCESS_KEY, startKinesalite, text, uniqueStream, utf8, waitFor } from "./kinesalite.js";

const fixtures = join(import.meta.dirname, "fixtures");

function moduleYaml(endpoint: string, input: string): string {
  return `
kind: io.eddy.functions.v1/embedded
spec:
  functions: test/counter
  module: ./counter.ts
---
kind: io.statefun.kinesis.v1/ingress
spec:
  id: test/in
  awsRegion:
    type: custom-endpoint
    endpoint: ${endpoint}
    id: ${REGION}
  awsCredentials:
    type: basic
    accessKeyId: ${ACCESS_KEY_ID}
    secretAccessKey: ${SECRET_ACCESS_KEY}
  startupPosition:
    type: earliest
  streams:
    - stream: ${input}
      valueType: test/text
      targets:
        - test/counter
  clientConfigProperties:
    - flink.shard.getrecords.intervalmillis: 20
    - SocketTimeout: 5000
---
kind: io.statefun.kinesis.v1/egress
spec:
  id: test/out
  awsRegion:
    type: custom-endpoint
    endpoint: ${endpoint}
    id: ${REGION}
  awsCredentials:
    type: basic
    accessKeyId: ${ACCESS_KEY_ID}
    secretAccessKey: ${SECRET_ACCESS_KEY}
  maxOutstandingRecords: 50
`;
}

describe("Kinesis ingress → embedded function → Kinesis egress (module.yaml, kinesalite)", () => {
  let kinesis: Kinesalite;
  const dataDirs: string[] = [];

  before(async () => {
    kinesis = await startKinesalite();
  });
  after(async () => {
    await kinesis.close();
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });

  async function start(input: string, dataDir: string): Promise<Runtime> {
    const config = parseModuleYaml(moduleYaml(kinesis.endpoint, input), "module.yaml", { baseDir: fixtures });
    const runtime = await buildRuntime(config, { logger: silentLogger(), store: new LmdbStateStore({ path: dataDir }) });
    await runtime.start();
    return runtime;
  }

  async function put(stream: string, output: string, keys: readonly string[], from: number, count: number): Promise<string[]> {
    const values: string[] = [];
    const entries = [];
    for (let i = from; i < from + count; i++) {
      const value = `v${i}@${output}`;
      values.push(value);
      entries.push({ PartitionKey: keys[i % keys.length]!, Data: utf8(value) });
    }
    const result = await kinesis.client.send(new PutRecordsCommand({ StreamName: stream, Records: entries }));
    assert.equal(result.FailedRecordCount ?? 0, 0);
    return values;
  }

  /** Output records as {key, value, count}, in the order of their stream. */
  async function outputs(stream: string): Promise<{ key: string; value: string; count: number }[]> {
    return (await readAll(kinesis.client, stream)).map((r) => {
      const [key, value, count] = text(r.Data).split("|") as [string, string, string];
      assert.equal(r.PartitionKey, key);
      return { key, value, count: Number(count) };
    });
  }

  test("records flow through, and a restart resumes from the stored shard positions without re-processing", async () => {
    const input = uniqueStream("e2e-in");
    const output = uniqueStream("e2e-out");
    await createStream(kinesis.client, input, 3);
    await createStream(kinesis.client, output, 2);
    const dataDir = mkdtempSync(join(tmpdir(), "eddy-kinesis-"));
    dataDirs.push(dataDir);
    const keys = ["alice", "bob", "carol", "dave", "erin", "frank", "grace"];

    const sent = await put(input, output, keys, 0, 40);
    let runtime = await start(input, dataDir);
    await waitFor(async () => (await outputs(output)).length >= 40, "the first 40 outputs");
    await runtime.stop();

    sent.push(...(await put(input, output, keys, 40, 30)));
    runtime = await start(input, dataDir);
    try {
      await waitFor(async () => (await outputs(output)).length >= 70, "all 70 outputs");
      await runtime.idle();
      // Anything re-read after the restart would show up as extra outputs.
      await new Promise((r) => setTimeout(r, 500));
      const out = await outputs(output);
      assert.equal(out.length, 70);
      assert.deepEqual(out.map((o) => o.value).sort(), [...sent].sort());
      // Each key's counter went 1..n with no gap or repeat, across the restart.
      for (const key of keys) {
        const counts = out.filter((o) => o.key === key).map((o) => o.count).sort((a, b) => a - b);
        assert.deepEqual(counts, Array.from({ length: counts.length }, (_, i) => i + 1), `counts of ${key}`);
        // Kinesis keeps one key's records in order within a shard, so values arrive in sent order.
        const values = out.filter((o) => o.key === key).sort((a, b) => a.count - b.count).map((o) => Number(o.value.slice(1, o.value.indexOf("@"))));
        assert.deepEqual(values, [...values].sort((a, b) => a - b), `order of ${key}`);
      }
    } finally {
      await runtime.stop();
    }
  });
});
