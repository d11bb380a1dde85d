import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { address, defineFunction, jsonType, stringMessage } from "@eddy/sdk";
import type { BatchOutcome, InvocationEffects } from "@eddy/sdk";
import { ManualClock, MAX_TIMER_STEP_MS, Runtime, silentLogger, systemClock, timerClock } from "@eddy/runtime";
import type { Clock, TimerHost } from "@eddy/runtime";
import { until } from "./helpers.js";
import { capturingLogger } from "../support/capturing-logger.js";

const DAY = 24 * 60 * 60 * 1000;
const Delays = jsonType<{ delays: number[] }>("test/Delays");

/**
 * Virtual time with Node's timer rule: a delay over 2^31-1 ms becomes 1 ms and
 * warns (TimeoutOverflowWarning). Counts what a real process would pay for.
 */
class VirtualTimers implements TimerHost {
  time = 0;
  callbacks = 0;
  overflows = 0;
  #timers: { at: number; callback: () => void; live: boolean }[] = [];

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, delayMs: number): unknown {
    let delay = delayMs;
    if (delay > MAX_TIMER_STEP_MS) {
      this.overflows++;
      delay = 1;
    }
    const timer = { at: this.time + Math.max(1, delay), callback, live: true };
    this.#timers.push(timer);
    return timer;
  }

  clearTimeout(handle: unknown): void {
    (handle as { live: boolean }).live = false;
  }

  /** Runs due timers in order up to `target`, at most `limit` callbacks (a spin stops here, not forever). */
  advanceTo(target: number, limit = 1000): void {
    for (let n = 0; n < limit; n++) {
      const due = this.#timers.filter((t) => t.live && t.at <= target).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      due.live = false;
      this.time = due.at;
      this.callbacks++;
      due.callback();
    }
    this.time = Math.max(this.time, target);
  }
}

function scenario(clock: Clock, logger = silentLogger()) {
  const runtime = new Runtime({ logger, clock, partitions: 1, retryPolicy: { initialDelayMs: 100, maxDelayMs: 100 } });
  const delivered: { text: string; at: number }[] = [];
  runtime.bindFunction(
    defineFunction({
      typename: "test/scheduler",
      fn(ctx, msg) {
        for (const delay of msg.as(Delays).delays) ctx.sendAfter(delay, stringMessage(address("test/sink", "s"), `after ${delay}`));
      },
    }),
  );
  runtime.bindFunction(
    defineFunction({
      typename: "test/sink",
      fn(_ctx, msg) {
        delivered.push({ text: msg.asString(), at: clock.now() });
      },
    }),
  );
  const schedule = (id: string, delays: number[]) =>
    runtime.send(address("test/scheduler", id), { typename: Delays.typename, value: Delays.serialize({ delays }) });
  return { runtime, delivered, schedule };
}

describe("delayed messages beyond setTimeout's 24.8-day range", () => {
  it("waits for a 30-day timer in steps: no overflow, a handful of wake-ups, delivered on time", async () => {
    const timers = new VirtualTimers();
    const s = scenario(timerClock(timers));
    await s.runtime.start();
    await s.schedule("a", [30 * DAY]);
    await s.runtime.idle();
    await until(() => s.runtime.pendingDelayedMessages === 1, "the timer");

    timers.advanceTo(30 * DAY - 1);
    await s.runtime.idle();
    assert.equal(s.delivered.length, 0, "not before it is due");
    timers.advanceTo(31 * DAY);
    await until(() => s.delivered.length === 1, "the delivery");
    assert.equal(s.delivered[0]!.text, `after ${30 * DAY}`);
    assert.ok(s.delivered[0]!.at >= 30 * DAY, `delivered at ${s.delivered[0]!.at}`);
    assert.equal(timers.overflows, 0, "no delay handed to setTimeout exceeds 2^31-1 ms");
    assert.ok(timers.callbacks <= 4, `${timers.callbacks} timer callbacks for one 30-day timer`);
    await s.runtime.stop();
  });

  it("logs no TimeoutOverflowWarning on the system clock", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on("warning", onWarning);
    const s = scenario(systemClock);
    try {
      await s.runtime.start();
      // The far timer first; the near one's delivery is the event that proves time went by.
      await s.schedule("far", [30 * DAY]);
      await s.schedule("near", [20]);
      await until(() => s.delivered.length === 1, "the near timer", 100_000);
      assert.deepEqual(warnings.filter((w) => w === "TimeoutOverflowWarning"), []);
      assert.equal(s.runtime.pendingDelayedMessages, 1);
    } finally {
      await s.runtime.stop({ timeoutMs: 20 });
      process.off("warning", onWarning);
    }
  });

  it("refuses a delay beyond 100 years at the function, failing only that address", async () => {
    const { logger, errors } = capturingLogger();
    const clock = new ManualClock(0);
    const s = scenario(clock, logger);
    await s.runtime.start();
    await s.schedule("absurd", [2 ** 62]);
    await s.schedule("fine", [10]);
    await until(() => {
      clock.advance(10);
      return errors().length >= 1 && s.delivered.length === 1;
    }, "the refusal and the healthy delivery");
    const error = errors()[0]!;
    assert.equal(error.code, "EDDY_INVALID_DELAY");
    assert.equal(error.address, "test/scheduler/absurd");
    assert.match(JSON.stringify(error), /longer than the limit of 3155760000000 ms \(100 years\)/);
    assert.equal(s.runtime.pendingDelayedMessages, 0);
    await s.runtime.stop({ timeoutMs: 20 });
  });

  it("refuses the same delay from a remote function's answer, before anything is committed", async () => {
    const { logger, errors } = capturingLogger();
    const runtime = new Runtime({ logger, clock: new ManualClock(0), partitions: 1 });
    const effects: InvocationEffects = {
      mutations: [],
      messages: [],
      delayed: [{ kind: "send", delayMs: 2 ** 62, target: address("test/remote", "x"), argument: { typename: "a/b", value: undefined }, cancellationToken: "" }],
      egress: [],
    };
    runtime.bindInvoker("test/remote", () => ({
      description: "a remote function answering an absurd delay",
      stateSpecs: [],
      maxBacklog: 0,
      invoke: (): BatchOutcome => ({ kind: "completed", effects }),
    }));
    await runtime.start();
    await runtime.send(address("test/remote", "x"), { typename: "a/b", value: undefined });
    await until(() => errors().length >= 1, "the refusal");
    assert.equal(errors()[0]!.code, "EDDY_INVALID_DELAY");
    assert.equal(runtime.pendingDelayedMessages, 0);
    await runtime.stop({ timeoutMs: 20 });
  });
});
