// Remote functions in cluster mode: two workers share the keyspace, and the pipeline's functions
// (counter → relay → delayed emit → Kafka egress) are served by one remote endpoint over real
// HTTP, written with @eddy/sdk's request-reply handler. Every input's effects appear exactly once.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { nodeHttpHandler } from "@eddy/sdk";
import { createTopics, produce, requireBroker } from "../kafka/kafka-helpers.js";
import { clusterSetup, readAllCommitted, startWorker, stopAll, verifyExactlyOnce } from "./cluster-helpers.js";

const KEYS = 20;
const PER_KEY = 10;

describe("cluster mode with a remote function endpoint (real broker, real HTTP)", { timeout: 180_000 }, () => {
  const broker = requireBroker();

  it("two workers invoke the endpoint for their partitions; every input's effects appear exactly once", async () => {
    broker.assertUp();
    let requests = 0;
    // Listening first: the module file needs the endpoint's port, the functions need the module's topics.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/{function.name}`;
    const s = clusterSetup("remote", undefined, { remoteUrl: url });
    // The pipeline's functions read their egress id and output topic from the environment on import.
    Object.assign(process.env, s.env);
    const { counter, relay, emit } = await import("./pipeline-fns.js");
    const handler = nodeHttpHandler([counter, relay, emit]);
    server.on("request", (req, res) => {
      requests++;
      handler(req, res);
    });
    await createTopics([s.input, s.output], 4);
    const workers = [startWorker(s), startWorker(s)];
    try {
      await Promise.all(workers.map((w) => w.waitFor(/partition \d+ assigned/, 60_000)));
      const inputs = Array.from({ length: KEYS * PER_KEY }, (_, i) => ({ key: `k${i % KEYS}`, value: `v${i}` }));
      await produce(s.input, inputs);
      const out = await readAllCommitted(s.output, inputs.length, 90_000);
      assert.deepEqual(verifyExactlyOnce(out, inputs), []);
      assert.ok(requests > 0, "the functions ran behind the HTTP endpoint");
      for (const w of workers) assert.doesNotMatch(w.output(), /"level":50/, "no error logged");
    } finally {
      const problems = await stopAll(workers);
      server.close();
      assert.deepEqual(problems, []);
    }
  });
});
