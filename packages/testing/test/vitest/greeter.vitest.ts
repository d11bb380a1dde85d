// @eddy/testing from vitest: explicit imports, no globals. test/project/outside-install.test.ts
// runs this same scenario under jest (minus the vitest import), so keep it plain JavaScript.
import { describe, expect, it } from "vitest";
import { Types, defineFunction, playgroundEgressMessage } from "@eddy/sdk";
import { TestRuntime } from "@eddy/testing";

const counterState = { count: Types.int };
const counter = defineFunction({
  typename: "example/counter",
  state: counterState,
  fn(ctx, msg) {
    const count = (ctx.storage.count ?? 0) + msg.as(Types.int);
    ctx.storage.count = count;
    ctx.sendEgress(playgroundEgressMessage({ topic: "counts", payload: String(count) }));
  },
});

describe("TestRuntime under vitest", () => {
  it("sends, reads state and egress, and advances virtual time", async () => {
    const env = await TestRuntime.start({ functions: [counter] });
    await env.send("example/counter/a", Types.int, 2);
    await env.send("example/counter/a", Types.int, 3);
    expect(env.stateOf("example/counter/a", counterState)).toEqual({ count: 5 });
    expect(env.playgroundTopic("counts")).toEqual(["2", "5"]);
    await env.advanceTime(60_000);
    expect(env.now()).toBe(Date.UTC(2026, 0, 1) + 60_000);
    await env.stop();
  });
});
