// Co-located functions in cluster mode: every worker supervises its own co-located process serving the
// pipeline's functions (pipeline-server.ts) and invokes it for the partitions it owns. One worker is
// SIGKILLed mid-stream: its co-located process dies with it, the survivor takes its partitions over,
// and every input's effects appear exactly once.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTopics, requireBroker } from "../kafka/kafka-helpers.js";
import { colocatedPid, groupAlive } from "../colocated/helpers.js";
import { clusterSetup, generations, producePaced, readAllCommitted, startWorker, stopAll, verifyExactlyOnce } from "./cluster-helpers.js";

describe("cluster mode with co-located functions (real broker, real processes)", { timeout: 240_000 }, () => {
  const broker = requireBroker();

  it("each worker runs its own co-located process; one worker SIGKILLed mid-stream: its process dies with it, every input's effects exactly once", async () => {
    broker.assertUp();
    const s = clusterSetup("colocated", undefined, { colocated: true });
    await createTopics([s.input, s.output], 4);
    const N = 600;
    const inputs = Array.from({ length: N }, (_, i) => ({ key: `c${i % 24}`, value: `i${i}` }));
    const workers = [startWorker(s), startWorker(s)];
    let killed = false;
    try {
      await Promise.all(workers.map((w) => w.waitFor("eddy is running", 60_000)));
      const pids = workers.map((w) => colocatedPid(w.stdout()));
      assert.notEqual(pids[0], pids[1], "each worker supervises its own co-located process");
      await Promise.all(workers.map((w) => w.waitFor(/partition \d+ assigned/, 60_000)));
      const producing = producePaced(s.input, inputs);
      await producing.atLeast(N / 3);
      const before = generations(workers[0]!);
      workers[1]!.kill("SIGKILL");
      await workers[1]!.exited;
      killed = true;
      const killedAt = Date.now();
      while (groupAlive(pids[1]!)) {
        assert.ok(Date.now() - killedAt < 15_000, "the killed worker's co-located process outlived it by 15 s");
        await new Promise((r) => setTimeout(r, 50));
      }
      while (generations(workers[0]!) === before) {
        assert.ok(Date.now() - killedAt < 60_000, "the survivor did not rebalance within 60 s of the kill");
        await new Promise((r) => setTimeout(r, 50));
      }
      await producing.done;
      const out = await readAllCommitted(s.output, N, 120_000, 2_000);
      assert.deepEqual(verifyExactlyOnce(out, inputs).slice(0, 10), []);
      assert.ok(groupAlive(pids[0]!), "the survivor's co-located process still runs");
    } finally {
      const problems = await stopAll(killed ? [workers[0]!] : workers);
      assert.deepEqual(problems, [], "the survivor drains and exits 0 on SIGTERM");
    }
  });
});
