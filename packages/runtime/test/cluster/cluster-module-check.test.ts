import { readFileSync, writeFileSync } from "node:fs";
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTopics, requireBroker } from "../kafka/kafka-helpers.js";
import { clusterSetup, startWorker } from "./cluster-helpers.js";

describe("cluster mode: every worker runs the same module file (real broker)", { timeout: 120_000 }, () => {
  const broker = requireBroker();

  it("a worker started with another module file is refused, naming itself and the running worker; the running worker keeps its partitions", async () => {
    broker.assertUp();
    const s = clusterSetup("module");
    await createTopics([s.input, s.output], 4);
    const running = startWorker(s);
    try {
      await running.waitFor(/partition \d+ assigned/, 60_000);
      const otherModule = s.moduleFile.replace(/module\.yaml$/, "module-other.yaml");
      writeFileSync(otherModule, readFileSync(s.moduleFile, "utf8").replace("type: earliest", "type: latest"));
      const refused = startWorker({ ...s, moduleFile: otherModule });
      assert.equal(await refused.exited, 1, refused.output());
      const output = refused.output();
      assert.match(output, new RegExp(`this worker \\(host \\S+ pid ${refused.pid}\\) runs a different module file than worker host \\S+ pid ${running.pid} of cluster "${s.cluster}"`));
      assert.doesNotMatch(output, /\n\s+at /, "no stack trace");
      assert.doesNotMatch(output, /partition \d+ assigned/, "the refused worker opened no partition");
      assert.equal((running.output().match(/group generation \d+:/g) ?? []).length, 1, "the running worker saw no rebalance");
    } finally {
      running.kill("SIGTERM");
      await running.exited;
    }
  });
});
