// An egress that takes records slower than functions emit them (its deliver calls hang): the
// records in its unfinished deliveries are bounded by maxPendingEgressRecords, the ingress waits
// at that bound and goes on once the egress is down to half of it. A failed delivery counts as
// settled: its records are in the store, not in memory. An HTTP client is not kept waiting for ever:
// after maxAcceptWaitMs the playground ingress answers 503 with the reason and Retry-After.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { address, defineFunction, egressMessage, Types } from "@eddy/sdk";
import { PlaygroundIngress, Runtime } from "@eddy/runtime";
import type { Egress } from "@eddy/runtime";
import { capturingLogger } from "../support/capturing-logger.js";
import { waitFor } from "../support/wait-for.js";

describe("an egress whose deliveries hang", () => {
  it("holds the ingress at maxPendingEgressRecords and lets it go on at half", async () => {
    const { logger, entries } = capturingLogger();
    const runtime = new Runtime({ logger, partitions: 1, maxPendingEgressRecords: 8 });
    const hanging: { records: number; settle: (ok: boolean) => void }[] = [];
    const egress: Egress = {
      id: "test/slow",
      check: () => undefined,
      deliver: (records) =>
        new Promise<void>((resolve, reject) => {
          hanging.push({ records: records.length, settle: (ok) => (ok ? resolve() : reject(new Error("endpoint gone"))) });
        }),
      describe: () => "slow",
    };
    runtime.bindEgress(egress);
    let processed = 0;
    runtime.bindFunction(
      defineFunction({
        typename: "test/emitter",
        fn(ctx, msg) {
          ctx.sendEgress(egressMessage({ egress: "test/slow", type: Types.string, value: msg.asString() }));
          processed++;
        },
      }),
    );
    await runtime.start();
    let accepted = 0;
    const sending = (async () => {
      for (let n = 0; n < 12; n++) {
        await runtime.send(address("test/emitter", "a"), { typename: Types.string.typename, value: Types.string.serialize(`m${n}`) });
        accepted++;
        await waitFor(`m${n} processed`, () => processed > n);
      }
    })();
    await waitFor("the ingress held", () => runtime.pendingEgressRecords().get("test/slow") === 8 && hanging.length === 8);
    await waitFor("the hold logged", () => entries.some((e) => e.egress === "test/slow" && e.level === 40));
    assert.equal(accepted, 8, "the ninth message waits at the gate");

    // Three deliveries succeed, one fails: 4 records left, at half the limit, so the ingress goes on.
    hanging.slice(0, 3).forEach((h) => h.settle(true));
    hanging[3]!.settle(false);
    await sending;
    assert.equal(accepted, 12);
    assert.equal(processed, 12);
    for (const h of hanging.slice(4)) h.settle(true);
    await waitFor("nothing held", () => runtime.pendingEgressRecords().get("test/slow") === 0);
    await runtime.stop({ timeoutMs: 2_000 });
  });
  it("answers a playground request that waited too long 503, naming the egress, with Retry-After", async () => {
    const runtime = new Runtime({ partitions: 1, maxPendingEgressRecords: 2, logger: capturingLogger().logger });
    const hanging: (() => void)[] = [];
    runtime.bindEgress({
      id: "test/slow",
      check: () => undefined,
      deliver: () => new Promise<void>((resolve) => hanging.push(resolve)),
      describe: () => "slow",
    });
    runtime.bindFunction(
      defineFunction({
        typename: "test/emitter",
        fn(ctx, msg) {
          ctx.sendEgress(egressMessage({ egress: "test/slow", type: Types.string, value: `${msg.typename} for ${ctx.self.id}` }));
        },
      }),
    );
    const ingress = new PlaygroundIngress({ port: 0, maxAcceptWaitMs: 300 });
    runtime.bindIngress(ingress);
    await runtime.start();
    const put = (body: string) =>
      fetch(`http://127.0.0.1:${ingress.port}/test/emitter/a`, { method: "PUT", headers: { "content-type": "application/vnd.test/Text" }, body });
    assert.equal((await put("one")).status, 200);
    assert.equal((await put("two")).status, 200);
    await waitFor("two records held", () => runtime.pendingEgressRecords().get("test/slow") === 2);

    const refused = await put("three");
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get("retry-after"), "1");
    assert.match(await refused.text(), /^waited 300 ms at the backpressure gate: egress test\/slow cannot deliver its records \(it holds 2, maxPendingEgressRecords 2\); check that what it writes to is reachable; nothing was accepted, retry later\n$/);

    for (const resolve of hanging) resolve();
    await waitFor("the hold lifted", () => runtime.pendingEgressRecords().get("test/slow") === 0);
    assert.equal((await put("three again")).status, 200);
    for (const resolve of hanging) resolve();
    await runtime.stop({ timeoutMs: 2_000 });
  });
});
