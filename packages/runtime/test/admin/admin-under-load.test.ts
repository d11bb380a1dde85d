import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { address, defineFunction, Types } from "@eddy/sdk";
import { createRuntimeAdmin, Runtime, silentLogger } from "@eddy/runtime";

// Regression: a partition's turn ran every message it had before it yielded (its budget counted
// rounds, and one round is every ready address), and all partitions take their turn before the
// event loop polls for I/O; so with 300,000 accepted messages the admin port answered only once
// all of them were processed. Turns now yield after a time slice.
describe("admin requests while the runtime is saturated with in-process work", { timeout: 120_000 }, () => {
  it("GET /healthz and GET /v1/quarantine answer while most of the accepted messages are still to be processed", async () => {
    const messages = 300_000;
    let processed = 0;
    const runtime = new Runtime({ logger: silentLogger(), maxPendingMessages: messages });
    runtime.bindFunction(
      defineFunction({
        typename: "test/counter",
        state: { n: Types.int },
        fn(ctx) {
          ctx.storage.n = (ctx.storage.n ?? 0) + 1;
          processed++;
        },
      }),
    );
    const admin = createRuntimeAdmin(runtime, { port: 0, logger: silentLogger() });
    await admin.start();
    await runtime.start();
    try {
      // Warm up the connection and the admin code first, so the requests below measure only waiting.
      assert.equal((await fetch(`${admin.url}/healthz`)).status, 200);
      const targets = Array.from({ length: 1000 }, (_, k) => address("test/counter", `c${k}`));
      const one = { typename: Types.int.typename, value: Types.int.serialize(1) };
      await runtime.accept(Array.from({ length: messages }, (_, i) => ({ target: targets[i % targets.length]!, argument: one })));

      const health = await fetch(`${admin.url}/healthz`);
      const healthAt = processed;
      assert.equal(health.status, 200);
      const quarantine = await fetch(`${admin.url}/v1/quarantine`);
      const quarantineAt = processed;
      assert.deepEqual(await quarantine.json(), { items: [] });
      assert.ok(healthAt < messages / 2, `/healthz answered after ${healthAt} of ${messages} messages were processed`);
      assert.ok(quarantineAt < messages / 2, `/v1/quarantine answered after ${quarantineAt} of ${messages} messages were processed`);

      await runtime.idle();
      assert.equal(processed, messages, "and every message is processed once");
    } finally {
      await runtime.stop();
      await admin.stop();
    }
  });
});
