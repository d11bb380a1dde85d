import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Types, address, formatAddress, defineFunction, egressMessage, jsonType, message, playgroundEgressMessage } from "@eddy/sdk";
import { TestRuntime } from "@eddy/testing";

interface Visit {
  readonly who: string;
}
const VisitType = jsonType<Visit>("example/Visit");

const greeterState = { visits: Types.int, last: Types.string };
const greeter = defineFunction({
  typename: "example/greeter",
  state: greeterState,
  accepts: [VisitType],
  fn(ctx, msg) {
    const { who } = msg.as(VisitType);
    const visits = (ctx.storage.visits ?? 0) + 1;
    ctx.storage.visits = visits;
    ctx.storage.last = who;
    ctx.sendEgress(playgroundEgressMessage({ topic: "greetings", payload: `Hello ${who} #${visits}` }));
    ctx.send(message({ to: address("example/audit", who), value: visits, type: Types.int }));
  },
});

const audit = defineFunction({
  typename: "example/audit",
  state: { seen: Types.int },
  fn(ctx, msg) {
    ctx.storage.seen = msg.as(Types.int);
    ctx.sendEgress(egressMessage({ egress: "example/audit-log", value: `${ctx.self.id}:${msg.as(Types.int)}`, type: Types.string }));
  },
});

/** Forwards a text along a chain of addresses, one hop per `delayMs`. */
const relay = defineFunction({
  typename: "example/relay",
  fn(ctx, msg) {
    const hops = msg.as(jsonType<{ left: number; delayMs: number }>("example/Hops"));
    ctx.sendEgress(playgroundEgressMessage({ topic: "hops", payload: `${ctx.self.id}@${hops.left}` }));
    if (hops.left > 0) {
      ctx.sendAfter(
        hops.delayMs,
        message({ to: address("example/relay", `${Number(ctx.self.id) + 1}`), value: { left: hops.left - 1, delayMs: hops.delayMs }, type: jsonType<{ left: number; delayMs: number }>("example/Hops") }),
      );
    }
  },
});
const HopsType = jsonType<{ left: number; delayMs: number }>("example/Hops");

const session = defineFunction({
  typename: "example/session",
  state: { token: { type: Types.string, expireAfterWrite: 60_000 } },
  fn(ctx, msg) {
    ctx.storage.token = msg.asString();
  },
});

describe("@eddy/testing TestRuntime", () => {
  it("runs embedded functions: egress records, typed and untyped state, messages between functions", async () => {
    const env = await TestRuntime.start({ functions: [greeter, audit], egresses: ["example/audit-log"] });
    await env.send("example/greeter/Bob", VisitType, { who: "Bob" });
    await env.send("example/greeter/Bob", VisitType, { who: "Bob" });
    assert.deepEqual(env.playgroundTopic("greetings"), ["Hello Bob #1", "Hello Bob #2"]);
    assert.deepEqual(env.stateOf("example/greeter/Bob", greeterState), { visits: 2, last: "Bob" });
    assert.deepEqual(env.stateOf("example/greeter/Alice"), {}, "an address never invoked has no state");
    assert.deepEqual(env.stateOf("example/audit/Bob"), { seen: 2 });
    assert.deepEqual(
      env.messagesTo("example/audit").map((m) => [`${m.from.type}/${m.from.id}`, `${m.to.type}/${m.to.id}`, Types.int.deserialize(m.value.value!)]),
      [
        ["example/greeter/Bob", "example/audit/Bob", 1],
        ["example/greeter/Bob", "example/audit/Bob", 2],
      ],
    );
    assert.deepEqual(env.egressValues("example/audit-log", Types.string), ["Bob:1", "Bob:2"]);
    await env.stop();
  });

  it("advanceTime delivers delayed messages timer by timer, including ones scheduled on the way", async () => {
    const env = await TestRuntime.start({ functions: [relay] });
    const start = env.now();
    await env.send("example/relay/0", HopsType, { left: 3, delayMs: 1000 });
    assert.deepEqual(env.playgroundTopic("hops"), ["0@3"]);
    await env.advanceTime(999);
    assert.deepEqual(env.playgroundTopic("hops"), ["0@3"], "nothing fires before its time");
    await env.advanceTime(1);
    assert.deepEqual(env.playgroundTopic("hops"), ["0@3", "1@2"]);
    await env.advanceTime(5000);
    assert.deepEqual(env.playgroundTopic("hops"), ["0@3", "1@2", "2@1", "3@0"], "each hop fired at its own time within one advance");
    assert.equal(env.now(), start + 6000);
    assert.deepEqual(
      env.messages.map((m) => [m.to.id, m.delayMs, m.at - start]),
      [
        ["1", 1000, 0],
        ["2", 1000, 1000],
        ["3", 1000, 2000],
      ],
    );
    await env.stop();
  });

  it("advanceTime expires state TTLs without waiting", async () => {
    const env = await TestRuntime.start({ functions: [session] });
    await env.send("example/session/s1", Types.string, "abc");
    await env.advanceTime(59_999);
    assert.deepEqual(env.stateOf("example/session/s1"), { token: "abc" });
    await env.advanceTime(1);
    assert.deepEqual(env.stateOf("example/session/s1"), {}, "expired after 60 s of virtual time");
    await env.stop();
  });

  it("runs remote functions served by @eddy/sdk's handler over real HTTP, with the same results", async () => {
    const env = await TestRuntime.start({ remoteFunctions: [greeter], functions: [audit], egresses: ["example/audit-log"] });
    await env.send("example/greeter/Ann", VisitType, { who: "Ann" });
    await env.send("example/greeter/Ann", VisitType, { who: "Ann" });
    assert.deepEqual(env.playgroundTopic("greetings"), ["Hello Ann #1", "Hello Ann #2"]);
    assert.deepEqual(env.stateOf("example/greeter/Ann", greeterState), { visits: 2, last: "Ann" });
    assert.equal(env.messagesTo("example/audit/Ann").length, 2);
    assert.deepEqual(env.egressValues("example/audit-log", Types.string), ["Ann:1", "Ann:2"]);
    await env.stop();
  });

  it("bad input fails with a clear error and loses nothing already done", async () => {
    const env = await TestRuntime.start({ functions: [greeter, audit], egresses: ["example/audit-log"] });
    await assert.rejects(env.send("example/nobody/x", Types.string, "hi"), { code: "EDDY_UNKNOWN_FUNCTION" });
    await assert.rejects(env.send("example-greeter", Types.string, "hi"), { code: "EDDY_INVALID_ADDRESS", message: /namespace\/name\/id/ });
    assert.throws(() => env.egress("example/other"), { code: "EDDY_UNKNOWN_EGRESS", message: /egresses: \["example\/other"\]/ });
    await env.send("example/greeter/Bob", VisitType, { who: "Bob" });
    assert.deepEqual(env.playgroundTopic("greetings"), ["Hello Bob #1"]);
    env.clearCaptured();
    assert.deepEqual(env.playgroundTopic("greetings"), []);
    assert.deepEqual(env.stateOf("example/greeter/Bob", greeterState), { visits: 1, last: "Bob" }, "state stays");
    await env.stop();
  });

  it("a failing invocation rejects the wait with its address and error instead of hanging", async () => {
    // The audit function sends to an egress nobody bound: its batch fails and is retried with backoff.
    const env = await TestRuntime.start({ functions: [greeter, audit, session] });
    await assert.rejects(env.send("example/greeter/Bob", VisitType, { who: "Bob" }), {
      code: "EDDY_INVOCATION_FAILED",
      message: /invocation of example\/audit\/Bob failed \(attempt 1, EDDY_UNKNOWN_EGRESS\).*parked/,
    });
    assert.deepEqual(env.playgroundTopic("greetings"), ["Hello Bob #1"], "the greeter's own invocation committed");
    assert.deepEqual(env.failures.map((f) => [f.address, f.attempt, f.code]), [["example/audit/Bob", 1, "EDDY_UNKNOWN_EGRESS"]]);
    await env.send("example/session/s1", Types.string, "t"); // a parked address holds only itself: nothing else waits for it
    assert.deepEqual(env.stateOf("example/session/s1"), { token: "t" }, "other addresses are processed meanwhile");
    await env.advanceTime(60_000);
    assert.equal(env.failures.length, 1, "an unknown egress cannot succeed by retrying: parked at once, not retried in virtual time");
    assert.deepEqual(env.runtime.quarantined().map((q) => formatAddress(q.record.target)), ["example/audit/Bob"]);
    await env.stop();
  });

  it("clearCaptured forgets records, not state", async () => {
    const env = await TestRuntime.start({ functions: [greeter, audit], egresses: ["example/audit-log"] });
    await env.send("example/greeter/Bob", VisitType, { who: "Bob" });
    env.clearCaptured();
    assert.deepEqual(env.playgroundTopic("greetings"), []);
    assert.deepEqual(env.stateOf("example/greeter/Bob", greeterState), { visits: 1, last: "Bob" }, "state stays");
    await env.stop();
  });
});
