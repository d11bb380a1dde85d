// The broker restarts mid-stream (stopped, then started again on the same storage): the workers wait, reconnect and
// go on; every input's effect comes out exactly once (per-key counters strictly sequential, each input once in the
// read_committed output), and the workers still drain and exit cleanly. A broker of its own: the shared one serves
// the other test files meanwhile.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTopics, produce } from "../kafka/kafka-helpers.js";
import type { EddyProcess } from "../kafka/kafka-helpers.js";
import { startOwnBroker } from "../kafka/own-broker.js";
import type { OwnBroker } from "../kafka/own-broker.js";
import { clusterSetup, readAllCommitted, startWorker, stopAll, verifyExactlyOnce } from "./cluster-helpers.js";

/** The worker's warnings and errors, as logged. */
function warnings(worker: EddyProcess): string[] {
  return worker.output().split("\n").filter((l) => /"level":(40|50)/.test(l));
}

describe("cluster mode: the broker restarts mid-stream (a real broker of its own)", { timeout: 300_000 }, () => {
  let broker: OwnBroker | undefined;
  before(async () => {
    broker = await startOwnBroker({ autoCreate: true });
  });
  after(async () => {
    await broker?.stop();
  });

  it("two workers; the broker stops and starts again between two halves of the input; every effect exactly once", async () => {
    const own = broker!;
    const s = clusterSetup("restart", undefined, undefined, undefined, own.address);
    await createTopics([s.input, s.output], 4, own.address);
    const inputs = Array.from({ length: 80 }, (_, i) => ({ key: `r${i % 10}`, value: `i${i}` }));
    const running: EddyProcess[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const worker = startWorker(s, [], { EDDY_TEST_BOOTSTRAP: own.address });
        running.push(worker);
        await worker.waitFor("eddy is running", 60_000);
      }
      await produce(s.input, inputs.slice(0, 40), own.address);
      // Mid-stream: some of the first half is out, the rest (relays, timers, egress records) still in flight.
      await readAllCommitted(s.output, 5, 60_000, 0, own.address);
      const warnedBefore = running.map((w) => warnings(w).length);

      await own.restart();
      await produce(s.input, inputs.slice(40), own.address);
      const out = await readAllCommitted(s.output, inputs.length, 120_000, 2_000, own.address);
      assert.deepEqual(verifyExactlyOnce(out, inputs).slice(0, 10), [], running.map((w) => warnings(w).slice(-5).join("\n")).join("\n---\n"));
      for (const w of running) assert.equal(w.child.exitCode, null, `a worker exited during the restart:\n${w.output().slice(-2000)}`);
      assert.ok(
        running.some((w, i) => warnings(w).length > warnedBefore[i]!),
        "the workers noticed the broker going away (a read or a transaction failed and was retried)",
      );
    } finally {
      assert.deepEqual(await stopAll(running), [], "both workers drain and exit after the restart");
    }
  });
});
