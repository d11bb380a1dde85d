import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { address, defineFunction, Types } from "@eddy/sdk";
import type { BatchOutcome, InvocationBatch, StateSpec } from "@eddy/sdk";
import { ManualClock, MAX_STATE_SPECS_PER_FUNCTION, MemoryStateStore, QuarantinePolicy, Runtime } from "@eddy/runtime";
import { str, until } from "./helpers.js";
import { capturingLogger } from "../support/capturing-logger.js";

const spec = (name: string): StateSpec => ({ name, typename: Types.int.typename, expireMode: "none", expireAfterMs: 0 });

/** A runtime whose `test/inventive` function answers "incomplete" with `perAnswer` names it never saw before. */
function inventive(perAnswer: number) {
  const clock = new ManualClock(0);
  const { logger, errors } = capturingLogger();
  const store = new MemoryStateStore();
  // Reaching the cap takes ~50 attempts: more than the default quarantine limit of 10.
  const runtime = new Runtime({ logger, clock, store, partitions: 1, retryPolicy: { initialDelayMs: 100, maxDelayMs: 100 }, quarantine: new QuarantinePolicy(1000) });
  let fresh = 0;
  const requestStates: number[] = [];
  runtime.bindInvoker("test/inventive", () => ({
    description: "a function that invents state names",
    stateSpecs: [],
    maxBacklog: 0,
    invoke(batch: InvocationBatch): BatchOutcome {
      requestStates.push(batch.states.length);
      return { kind: "incomplete", missing: Array.from({ length: perAnswer }, () => spec(`s${fresh++}`)) };
    },
  }));
  const healthy: string[] = [];
  runtime.bindFunction(defineFunction({ typename: "test/healthy", fn: (_ctx, msg) => void healthy.push(msg.asString()) }));
  return { clock, runtime, store, errors, healthy, requestStates };
}

describe("state registration limits", () => {
  it(`registers at most ${MAX_STATE_SPECS_PER_FUNCTION} state specs per function type, however often the function asks`, async () => {
    const s = inventive(7);
    await s.runtime.start();
    await s.runtime.send(address("test/inventive", "a"), str("x"));
    await until(() => {
      s.clock.advance(100);
      return s.errors().some((e) => e.code === "EDDY_TOO_MANY_STATES");
    }, "the limit", 3000);
    const registered = s.store.specsOf("test/inventive").length;
    assert.ok(registered <= MAX_STATE_SPECS_PER_FUNCTION, `${registered} specs registered`);
    assert.ok(registered > MAX_STATE_SPECS_PER_FUNCTION - 7, `${registered} specs registered`);
    assert.ok(Math.max(...s.requestStates) <= MAX_STATE_SPECS_PER_FUNCTION, "no request carries more states than the limit");
    const limitError = s.errors().find((e) => e.code === "EDDY_TOO_MANY_STATES")!;
    assert.equal(limitError.address, "test/inventive/a");
    assert.match(JSON.stringify(limitError), /beyond the limit of 1000 per function type/);

    // Retries keep failing at the limit without registering more; other addresses are not held up.
    for (let i = 0; i < 20; i++) s.clock.advance(100);
    assert.equal(s.store.specsOf("test/inventive").length, registered);
    await s.runtime.send(address("test/healthy", "h"), str("still here"));
    await until(() => s.healthy.length === 1, "the healthy address");
    await s.runtime.stop({ timeoutMs: 20 });
  });

  it("refuses one answer naming more states than the limit without registering any", async () => {
    const s = inventive(13_001);
    await s.runtime.start();
    await s.runtime.send(address("test/inventive", "b"), str("x"));
    await until(() => s.errors().length >= 1, "the refusal");
    assert.equal(s.errors()[0]!.code, "EDDY_TOO_MANY_STATES");
    assert.equal(s.store.specsOf("test/inventive").length, 0);
    await s.runtime.stop({ timeoutMs: 20 });
  });
});
