import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Types, address, defineFunction } from "@eddy/sdk";
import type { StateDeclaration } from "@eddy/sdk";
import { TestRuntime } from "@eddy/testing";

/**
 * A function with one state `v` of the given declaration, in @eddy/testing's
 * runtime (virtual time from 0). Messages: "set:<text>" writes it, "get"
 * records what it reads, "ping" does nothing.
 */
async function scenario(v: StateDeclaration) {
  const reads: (string | undefined)[] = [];
  const env = await TestRuntime.start({
    startTime: 0,
    functions: [
      defineFunction({
        typename: "test/ttl",
        state: { v },
        fn(ctx, msg) {
          const text = msg.asString();
          if (text.startsWith("set:")) ctx.storage.v = text.slice(4);
          else if (text === "get") reads.push(ctx.storage.v as string | undefined);
        },
      }),
    ],
  });
  const send = (text: string) => env.send(address("test/ttl", "x"), Types.string, text);
  /** Reads the state through a "get" invocation at the current time. */
  const get = async () => {
    await send("get");
    return reads.at(-1);
  };
  return { env, send, get };
}

describe("state TTL (@eddy/testing, virtual time)", () => {
  it("expireAfterWrite: the value is gone once the TTL passed without a write", async () => {
    const s = await scenario({ type: Types.string, expireAfterWrite: 1000 });
    await s.send("set:hello");
    await s.env.advanceTime(999);
    assert.equal(await s.get(), "hello", "still there 1 ms before the TTL");
    await s.env.advanceTime(1);
    assert.equal(await s.get(), undefined, "gone exactly at the TTL");
    await s.env.stop();
  });

  it("expireAfterWrite: reads do not extend the value's life", async () => {
    const s = await scenario({ type: Types.string, expireAfterWrite: 1000 });
    await s.send("set:hello");
    for (let t = 0; t < 4; t++) {
      await s.env.advanceTime(200);
      assert.equal(await s.get(), "hello");
    }
    await s.env.advanceTime(200);
    assert.equal(await s.get(), undefined);
    await s.env.stop();
  });

  it("expireAfterWrite: a rewrite restarts the TTL", async () => {
    const s = await scenario({ type: Types.string, expireAfterWrite: 1000 });
    await s.send("set:one");
    await s.env.advanceTime(600);
    await s.send("set:two");
    await s.env.advanceTime(600);
    assert.equal(await s.get(), "two", "1200 ms after the first write, 600 after the second");
    await s.env.advanceTime(399);
    assert.equal(await s.get(), "two");
    await s.env.advanceTime(1);
    assert.equal(await s.get(), undefined);
    await s.env.stop();
  });

  it("expireAfterCall: invocations every TTL/2 keep the value alive, TTL of silence expires it", async () => {
    const s = await scenario({ type: Types.string, expireAfterCall: 1000 });
    await s.send("set:alive");
    for (let i = 0; i < 6; i++) {
      await s.env.advanceTime(500);
      await s.send("ping"); // touches no state, still an invocation of the address
    }
    assert.equal(s.env.now(), 3000);
    assert.equal(await s.get(), "alive", "3 s after the write, kept alive by the pings");
    await s.env.advanceTime(1000);
    assert.equal(await s.get(), undefined, "gone after 1 s without an invocation");
    // and an expired value does not come back
    await s.env.advanceTime(10);
    assert.equal(await s.get(), undefined);
    await s.env.stop();
  });

  it("expireAfterCall: the value can be written again after it expired", async () => {
    const s = await scenario({ type: Types.string, expireAfterCall: 1000 });
    await s.send("set:first");
    await s.env.advanceTime(5000);
    assert.equal(await s.get(), undefined);
    await s.send("set:second");
    await s.env.advanceTime(999);
    assert.equal(await s.get(), "second");
    await s.env.stop();
  });

  it("no TTL: the value stays", async () => {
    const s = await scenario(Types.string);
    await s.send("set:forever");
    await s.env.advanceTime(365 * 24 * 3600 * 1000);
    assert.equal(await s.get(), "forever");
    await s.env.stop();
  });
});
