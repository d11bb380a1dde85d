import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Types, address, defineFunction } from "@eddy/sdk";
import type { StateDeclaration } from "@eddy/sdk";
import { ManualClock, Runtime, silentLogger } from "@eddy/runtime";
import { str } from "./helpers.js";

/**
 * A function with one state `v` of the given declaration. Messages:
 * "set:<text>" writes it, "get" records what it reads, "ping" does nothing.
 */
function scenario(v: StateDeclaration) {
  const clock = new ManualClock(0);
  const runtime = new Runtime({ logger: silentLogger(), clock });
  const reads: (string | undefined)[] = [];
  runtime.bindFunction(
    defineFunction({
      typename: "test/ttl",
      state: { v },
      fn(ctx, msg) {
        const text = msg.asString();
        if (text.startsWith("set:")) ctx.storage.v = text.slice(4);
        else if (text === "get") reads.push(ctx.storage.v as string | undefined);
      },
    }),
  );
  const target = address("test/ttl", "x");
  const send = async (text: string) => {
    await runtime.send(target, str(text));
    await runtime.idle();
  };
  /** Reads the state through a "get" invocation at the current time. */
  const get = async () => {
    await send("get");
    return reads.at(-1);
  };
  return { clock, runtime, send, get };
}

describe("state TTL (ManualClock)", () => {
  it("expireAfterWrite: the value is gone once the TTL passed without a write", async () => {
    const s = scenario({ type: Types.string, expireAfterWrite: 1000 });
    await s.runtime.start();
    await s.send("set:hello");
    s.clock.advance(999);
    assert.equal(await s.get(), "hello", "still there 1 ms before the TTL");
    s.clock.advance(1);
    assert.equal(await s.get(), undefined, "gone exactly at the TTL");
    await s.runtime.stop();
  });

  it("expireAfterWrite: reads do not extend the value's life", async () => {
    const s = scenario({ type: Types.string, expireAfterWrite: 1000 });
    await s.runtime.start();
    await s.send("set:hello");
    for (let t = 0; t < 4; t++) {
      s.clock.advance(200);
      assert.equal(await s.get(), "hello");
    }
    s.clock.advance(200);
    assert.equal(await s.get(), undefined);
    await s.runtime.stop();
  });

  it("expireAfterWrite: a rewrite restarts the TTL", async () => {
    const s = scenario({ type: Types.string, expireAfterWrite: 1000 });
    await s.runtime.start();
    await s.send("set:one");
    s.clock.advance(600);
    await s.send("set:two");
    s.clock.advance(600);
    assert.equal(await s.get(), "two", "1200 ms after the first write, 600 after the second");
    s.clock.advance(399);
    assert.equal(await s.get(), "two");
    s.clock.advance(1);
    assert.equal(await s.get(), undefined);
    await s.runtime.stop();
  });

  it("expireAfterCall: invocations every TTL/2 keep the value alive, TTL of silence expires it", async () => {
    const s = scenario({ type: Types.string, expireAfterCall: 1000 });
    await s.runtime.start();
    await s.send("set:alive");
    for (let i = 0; i < 6; i++) {
      s.clock.advance(500);
      await s.send("ping"); // touches no state, still an invocation of the address
    }
    assert.equal(s.clock.now(), 3000);
    assert.equal(await s.get(), "alive", "3 s after the write, kept alive by the pings");
    s.clock.advance(1000);
    assert.equal(await s.get(), undefined, "gone after 1 s without an invocation");
    // and an expired value does not come back
    s.clock.advance(10);
    assert.equal(await s.get(), undefined);
    await s.runtime.stop();
  });

  it("expireAfterCall: the value can be written again after it expired", async () => {
    const s = scenario({ type: Types.string, expireAfterCall: 1000 });
    await s.runtime.start();
    await s.send("set:first");
    s.clock.advance(5000);
    assert.equal(await s.get(), undefined);
    await s.send("set:second");
    s.clock.advance(999);
    assert.equal(await s.get(), "second");
    await s.runtime.stop();
  });

  it("no TTL: the value stays", async () => {
    const s = scenario(Types.string);
    await s.runtime.start();
    await s.send("set:forever");
    s.clock.advance(365 * 24 * 3600 * 1000);
    assert.equal(await s.get(), "forever");
    await s.runtime.stop();
  });
});
