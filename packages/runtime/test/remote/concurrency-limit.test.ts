import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ConcurrencyLimit } from "../../src/remote/concurrency-limit.js";

/** Runs `rounds` of: fill the limit, then complete every request with the latency the endpoint gives at that load. */
function drive(limit: ConcurrencyLimit, latencyAt: (inFlight: number) => number, rounds: number): void {
  for (let r = 0; r < rounds; r++) {
    let started = 0;
    while (limit.acquire() === undefined) started++;
    // The last acquire queued a waiter; it starts when a slot frees up and is completed in the next round.
    const latency = latencyAt(limit.inFlight);
    for (let i = 0; i < started; i++) limit.release(latency);
    while (limit.inFlight > 0) limit.release(latency);
  }
}

describe("ConcurrencyLimit (adaptive requests in flight per endpoint)", () => {
  it("grows to the pool size for an endpoint whose latency does not rise with load (a function awaiting I/O)", () => {
    const limit = new ConcurrencyLimit({ max: 1024, initial: 32 });
    drive(limit, () => 1000, 400);
    assert.equal(limit.limit, 1024);
  });

  it("shrinks for an endpoint whose latency rises with the requests queued at it (a CPU-bound server)", () => {
    const limit = new ConcurrencyLimit({ max: 1024, initial: 200 });
    drive(limit, (n) => 0.2 * n + 1, 400);
    assert.ok(limit.limit < 60, `limit ${limit.limit} should have come down from 200`);
    assert.ok(limit.limit >= 4, "never below the minimum");
  });

  it("comes down from the pool size when requests queue at the endpoint, though they use a fraction of the limit", () => {
    const limit = new ConcurrencyLimit({ max: 1024 });
    // An idle endpoint answers in 1 ms; 200 requests at once queue there (0.2 ms each).
    for (let i = 0; i < 4; i++) {
      assert.equal(limit.acquire(), undefined);
      limit.release(1);
    }
    for (let round = 0; round < 50; round++) {
      let started = 0;
      while (started < 200 && limit.acquire() === undefined) started++;
      const latency = 0.2 * limit.inFlight + 1;
      while (limit.inFlight > 0) limit.release(latency);
    }
    assert.ok(limit.limit < 50, `limit ${limit.limit} should have come down from 1024 towards what the endpoint runs at once`);
    assert.ok(limit.limit >= 4, "never below the minimum");
  });

  it("hands slots to waiting calls oldest first", async () => {
    const limit = new ConcurrencyLimit({ max: 1, min: 1 });
    assert.equal(limit.acquire(), undefined);
    const order: number[] = [];
    const waits = [1, 2, 3].map((n) => limit.acquire()!.then(() => order.push(n)));
    assert.equal(limit.acquire() instanceof Promise, true, "a new call queues behind the waiting ones");
    for (let i = 0; i < 3; i++) {
      limit.release(1);
      await waits[i];
    }
    assert.deepEqual(order, [1, 2, 3]);
  });

  it("starts open, at the pool size", () => {
    assert.equal(new ConcurrencyLimit({ max: 256 }).limit, 256);
  });

  it("holds requests beyond the limit until one ends, and counts failures against the limit", async () => {
    const limit = new ConcurrencyLimit({ max: 2, initial: 2, min: 1 });
    assert.equal(limit.acquire(), undefined);
    assert.equal(limit.acquire(), undefined);
    const third = limit.acquire();
    assert.ok(third instanceof Promise);
    assert.equal(limit.waiting, 1);
    let started = false;
    void third.then(() => (started = true));
    await Promise.resolve();
    assert.equal(started, false);
    limit.release(5);
    await third;
    assert.equal(limit.inFlight, 2);
    limit.release(undefined);
    limit.release(undefined);
    assert.ok(limit.limit < 2, "failures shrink the limit");
  });
});
