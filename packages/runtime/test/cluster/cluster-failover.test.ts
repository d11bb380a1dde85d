import { readFileSync, writeFileSync } from "node:fs";
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTopics, requireBroker } from "../kafka/kafka-helpers.js";
import { freePort } from "../support/local-servers.js";
import { clusterSetup, generations, producePaced, readAllCommitted, startWorker, stopAll, verifyExactlyOnce } from "./cluster-helpers.js";

describe("cluster mode: three workers over Kafka (real broker)", { timeout: 300_000 }, () => {
  const broker = requireBroker();

  it("one worker SIGKILLed mid-stream and restarted: every input's effect exactly once", async (t) => {
    broker.assertUp();
    const s = clusterSetup("sigkill");
    await createTopics([s.input, s.output], 4);
    const N = 1_200;
    const inputs = Array.from({ length: N }, (_, i) => ({ key: `k${i % 40}`, value: `i${i}` }));
    const workers = [startWorker(s), startWorker(s), startWorker(s)];
    let stopped = false;
    try {
      await Promise.all(workers.map((w) => w.waitFor("eddy is running", 60_000)));
      const producing = producePaced(s.input, inputs);
      await workers[1]!.waitFor(/partition \d+ assigned/, 60_000);
      await producing.atLeast(N / 3);
      const before = [generations(workers[0]!), generations(workers[2]!)];
      workers[1]!.kill("SIGKILL");
      await workers[1]!.exited;
      const killedAt = Date.now();
      // The survivors take over once the session timeout (6 s by default) says the worker is gone.
      while (generations(workers[0]!) === before[0] || generations(workers[2]!) === before[1]) {
        assert.ok(Date.now() - killedAt < 60_000, "the survivors did not both rebalance within 60 s of the kill");
        await new Promise((r) => setTimeout(r, 50));
      }
      const rebalancedMs = Date.now() - killedAt;
      await producing.done;
      workers[1] = startWorker(s);
      await workers[1].waitFor("eddy is running", 60_000);
      const out = await readAllCommitted(s.output, N, 120_000, 2_000);
      const completeMs = Date.now() - killedAt;
      const problems = verifyExactlyOnce(out, inputs);
      t.diagnostic(`outputs ${out.length} of ${N}; both survivors rebalanced ${rebalancedMs} ms after the kill; all outputs ${completeMs} ms after it`);
      assert.deepEqual(problems.slice(0, 10), [], workers.map((w) => w.output().split("\n").filter((l) => /fenced|failed|revoked|generation/.test(l)).slice(-10).join("\n")).join("\n---\n"));
      stopped = true;
      assert.deepEqual(await stopAll(workers), [], "every worker drains and exits on SIGTERM");
    } finally {
      if (!stopped) await stopAll(workers);
    }
  });

  it("the playground ingress of either worker writes to the log and answers once Kafka has the message; its effects land wherever the address lives", async () => {
    broker.assertUp();
    const [portA, portB] = [await freePort(), await freePort()];
    const s = clusterSetup("http", portA);
    // The same module with another playground port: both workers run on this one machine.
    const moduleB = s.moduleFile.replace(/module\.yaml$/, "module-b.yaml");
    writeFileSync(moduleB, readFileSync(s.moduleFile, "utf8").replace(`port: ${portA}`, `port: ${portB}`));
    await createTopics([s.input, s.output], 4);
    const workers = [startWorker(s), startWorker({ ...s, moduleFile: moduleB })];
    let stopped = false;
    try {
      await Promise.all(workers.map((w) => w.waitFor("eddy is running", 60_000)));
      const inputs = Array.from({ length: 40 }, (_, i) => ({ key: `h${i % 8}`, value: `i${i}` }));
      for (const [i, input] of inputs.entries()) {
        const port = i % 2 === 0 ? portA : portB;
        const res = await fetch(`http://127.0.0.1:${port}/test/counter/${input.key}`, {
          method: "PUT",
          // A worker that stopped answering fails the test here instead of holding it until the suite's timeout.
          signal: AbortSignal.timeout(30_000),
          headers: { "Content-Type": "application/vnd.test/Input" },
          body: input.value,
        });
        assert.equal(res.status, 200, await res.text());
      }
      const out = await readAllCommitted(s.output, inputs.length, 60_000, 1_000);
      assert.deepEqual(verifyExactlyOnce(out, inputs), []);
      stopped = true;
      assert.deepEqual(await stopAll(workers), [], "every worker drains and exits on SIGTERM");
    } finally {
      if (!stopped) await stopAll(workers);
    }
  });
});
