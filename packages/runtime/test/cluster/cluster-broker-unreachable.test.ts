// A worker started before its broker: it says it cannot reach the Kafka cluster, names the address, retries with a
// growing delay, is not ready meanwhile (nothing started half-way), and once the broker is there it starts and
// processes exactly once.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTopics, produce } from "../kafka/kafka-helpers.js";
import { startOwnBroker } from "../kafka/own-broker.js";
import type { OwnBroker } from "../kafka/own-broker.js";
import { freePort } from "../support/local-servers.js";
import { waitFor } from "../support/wait-for.js";
import { adminUrl, clusterSetup, readAllCommitted, startWorker, stopAll, verifyExactlyOnce } from "./cluster-helpers.js";

describe("cluster mode: the broker is unreachable when a worker starts (a real broker of its own, started late)", { timeout: 300_000 }, () => {
  let broker: OwnBroker | undefined;
  after(async () => {
    await broker?.stop();
  });

  it("retries with a growing delay, is not ready, then starts once the broker answers and processes every input once", async () => {
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    const s = clusterSetup("unreachable", undefined, undefined, undefined, address);
    const worker = startWorker(s, [], { EDDY_TEST_BOOTSTRAP: address });
    try {
      const retrying = new RegExp(`cannot create or check the cluster topics on the Kafka cluster at ${address}; retrying in (\\d+) ms \\(nothing is started until it answers\\)`);
      const delays = (): number[] => worker.output().split("\n").flatMap((l) => {
        const m = retrying.exec(l);
        return m === null ? [] : [Number(m[1])];
      });
      await waitFor("three retries", () => delays().length >= 3, 60_000);
      const [firstDelay, , thirdDelay] = delays();
      assert.ok(thirdDelay! > firstDelay!, `the delay grows: ${delays().join(", ")} ms`);
      const ready = await fetch(`${adminUrl(worker)}/readyz`, { signal: AbortSignal.timeout(10_000) });
      assert.equal(ready.status, 503, "not ready while the broker is unreachable");

      broker = await startOwnBroker({ autoCreate: true, port });
      await createTopics([s.input, s.output], 4, address);
      await worker.waitFor("eddy is running", 90_000);
      const inputs = Array.from({ length: 24 }, (_, i) => ({ key: `u${i % 6}`, value: `i${i}` }));
      await produce(s.input, inputs, address);
      const out = await readAllCommitted(s.output, inputs.length, 60_000, 1_500, address);
      assert.deepEqual(verifyExactlyOnce(out, inputs).slice(0, 10), []);
    } finally {
      assert.deepEqual(await stopAll([worker]), [], "the worker drains and exits");
    }
  });
});
