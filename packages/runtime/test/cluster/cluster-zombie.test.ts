import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTopics, PROXIED_PORT, PROXY_PORT, requireBroker } from "../kafka/kafka-helpers.js";
import { clusterSetup, generations, producePaced, readAllCommitted, startWorker, stopAll, verifyExactlyOnce } from "./cluster-helpers.js";
import { FreezableProxy } from "../support/freezable-proxy.js";

describe("cluster mode: a worker cut off from Kafka is fenced (real broker)", { timeout: 300_000 }, () => {
  const broker = requireBroker();

  it("a worker whose connections freeze past the session timeout loses its partitions; what it writes after the release is fenced and no effect doubles", async (t) => {
    broker.assertUp();
    const s = clusterSetup("zombie");
    await createTopics([s.input, s.output], 4);
    // The zombie reaches the broker only through the proxy: the broker's second listener advertises the proxy's port.
    const proxy = await FreezableProxy.start(PROXY_PORT, PROXIED_PORT);
    const N = 1_200;
    const inputs = Array.from({ length: N }, (_, i) => ({ key: `z${i % 40}`, value: `i${i}` }));
    const workers = [startWorker(s), startWorker(s), startWorker(s, [], { EDDY_TEST_BOOTSTRAP: `127.0.0.1:${PROXY_PORT}` })];
    const zombie = workers[2]!;
    let stopped = false;
    try {
      await Promise.all(workers.map((w) => w.waitFor("eddy is running", 60_000)));
      const producing = producePaced(s.input, inputs);
      await zombie.waitFor(/partition \d+ assigned/, 60_000);
      await producing.atLeast(N / 3);
      const before = [generations(workers[0]!), generations(workers[1]!)];
      proxy.freeze();
      const frozenAt = Date.now();
      // The others rebalance once the zombie's session times out, and fence its partitions as they open them.
      while (generations(workers[0]!) === before[0] || generations(workers[1]!) === before[1]) {
        assert.ok(Date.now() - frozenAt < 60_000, "the other workers did not rebalance within 60 s of the freeze");
        await new Promise((r) => setTimeout(r, 50));
      }
      const takenOverMs = Date.now() - frozenAt;
      const zombieGenerations = generations(zombie);
      proxy.release();
      // Released, the zombie learns it was dropped and rejoins: a generation of its own again.
      await zombie.waitFor(new RegExp(`(group generation \\d+:[^]*){${zombieGenerations + 1}}`), 60_000);
      await producing.done;
      const out = await readAllCommitted(s.output, N, 120_000, 2_000);
      // The zombie's offsets are refused by the group coordinator: the generation its transaction acted in is gone.
      const fenced = (zombie.output().match(/was fenced by the group.*(ILLEGAL_GENERATION|UNKNOWN_MEMBER_ID)/g) ?? []).length;
      t.diagnostic(`outputs ${out.length} of ${N}; others took over ${takenOverMs} ms after the freeze; the zombie's fenced partitions: ${fenced}`);
      assert.ok(fenced > 0, "the zombie tried to commit after the release and its transaction was refused for its stale generation");
      assert.deepEqual(verifyExactlyOnce(out, inputs).slice(0, 10), [], zombie.output().split("\n").filter((l) => /fenced|failed|generation/.test(l)).slice(-15).join("\n"));
      stopped = true;
      assert.deepEqual(await stopAll(workers), [], "every worker drains and exits on SIGTERM");
    } finally {
      if (!stopped) await stopAll(workers);
      await proxy.close();
    }
  });
});
