// Two clusters with different names on one broker never see each other's data: run side by side with the same
// function types and the same keys, each counts only its own inputs (a shared log, changelog or group would show
// as counters that skip or repeat) and writes only to its own output.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTopics, produce, requireBroker } from "../kafka/kafka-helpers.js";
import type { EddyProcess } from "../kafka/kafka-helpers.js";
import { clusterSetup, readAllCommitted, startWorker, stopAll, verifyExactlyOnce } from "./cluster-helpers.js";

describe("cluster mode: two clusters on one broker are independent (real broker)", { timeout: 300_000 }, () => {
  const broker = requireBroker();

  it("clusters a and b with the same keys: each output holds exactly its own inputs' effects", async () => {
    broker.assertUp();
    const clusters = [clusterSetup("iso-a"), clusterSetup("iso-b")];
    await createTopics(clusters.flatMap((s) => [s.input, s.output]), 4);
    const inputsOf = (tag: string, count: number) => Array.from({ length: count }, (_, i) => ({ key: `k${i % 6}`, value: `${tag}${i}` }));
    const inputs = [inputsOf("a", 30), inputsOf("b", 18)];
    const running: EddyProcess[] = [];
    try {
      for (const s of clusters) {
        const worker = startWorker(s);
        running.push(worker);
        await worker.waitFor("eddy is running", 60_000);
      }
      await Promise.all(clusters.map((s, i) => produce(s.input, inputs[i]!)));
      for (const [i, s] of clusters.entries()) {
        const out = await readAllCommitted(s.output, inputs[i]!.length, 60_000, 1_500);
        assert.deepEqual(verifyExactlyOnce(out, inputs[i]!).slice(0, 10), [], `cluster ${s.cluster} counts only its own ${inputs[i]!.length} inputs`);
      }
    } finally {
      assert.deepEqual(await stopAll(running), []);
    }
  });
});
