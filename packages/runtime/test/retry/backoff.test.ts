import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Backoff, backoffDelay } from "../../src/retry/backoff.js";
import { sleep } from "../../src/retry/sleep.js";

describe("backoff: the one retry schedule of every retry loop", () => {
  it("doubles from the initial delay up to the cap, exactly when jitter is 0", () => {
    const backoff = new Backoff({ initialMs: 20, maxMs: 80, jitter: 0 });
    assert.deepEqual([1, 2, 3, 4, 5].map(() => backoff.next()), [20, 40, 80, 80, 80]);
    assert.equal(backoff.attempts, 5);
    backoff.reset();
    assert.equal(backoff.next(), 20, "starts over after a success");
  });

  it("draws each jittered delay from [(1 - jitter) × d, d], never above the cap", () => {
    const seen = new Set<number>();
    for (let i = 0; i < 2_000; i++) {
      const d = backoffDelay({ initialMs: 100, maxMs: 10_000, jitter: 0.5 }, 3);
      assert.ok(d >= 400 && d <= 800, `attempt 3 of 100 ms doubling: ${d} ms`);
      seen.add(d);
      assert.ok(backoffDelay({ initialMs: 100, maxMs: 10_000 }, 60) <= 10_000);
    }
    assert.ok(seen.size > 50, "delays are spread, not one value");
  });

  it("a cap below the initial delay is the delay", () => {
    assert.equal(backoffDelay({ initialMs: 100, maxMs: 20, jitter: 0 }, 0), 20);
  });
});

describe("sleep: waits, or stops waiting when its signal aborts", () => {
  it("an abort ends the wait at once instead of waiting it out", async () => {
    const abort = new AbortController();
    const started = performance.now();
    const waiting = sleep(60_000, abort.signal);
    abort.abort();
    await waiting;
    assert.ok(performance.now() - started < 1_000);
    await sleep(60_000, abort.signal);
  });
});
