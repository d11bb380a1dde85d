// Request/reply over the playground ingress: `POST` waits for the function's
// reply (ctx.reply), for embedded functions and for remote ones served by the
// SDK's handler over real HTTP; 504 after the timeout with the message still
// processed exactly once.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { defineFunction, jsonType, message, nodeHttpHandler, REPLY_NAMESPACE, Types } from "@eddy/sdk";
import { EndpointPools, PlaygroundEgress, PlaygroundIngress, remoteInvoker, Runtime, silentLogger } from "@eddy/runtime";
import { greeter, GreetResponseType } from "../../../../examples/greeter/greeter.js";
import { deferred, until } from "../runtime/helpers.js";
import { capturingLogger } from "../support/capturing-logger.js";

const GREET = { "Content-Type": "application/vnd.apache/GreetRequest" };

async function post(url: string, body: string, headers: Record<string, string> = GREET) {
  const res = await fetch(url, { method: "POST", headers, body });
  return { status: res.status, type: res.headers.get("content-type"), text: await res.text() };
}

describe("request/reply: POST answers with the embedded function's reply", { timeout: 30_000 }, () => {
  const runtime = new Runtime({ logger: silentLogger() });
  const ingress = new PlaygroundIngress({ port: 0, requestReply: { timeoutMs: 10_000 } });
  let base = "";

  before(async () => {
    runtime.bindFunction(greeter);
    runtime.bindEgress(new PlaygroundEgress({ port: 0, topics: ["greetings"] }));
    runtime.bindIngress(ingress);
    await runtime.start();
    base = `http://127.0.0.1:${ingress.port}`;
  });
  after(() => runtime.stop());

  it("gives each call the reply of its own invocation, in order, with the reply's type", async () => {
    const first = await post(`${base}/apache/greeter/Ann`, '{"who":"Ann"}');
    assert.equal(first.status, 200);
    assert.equal(first.type, "application/vnd.apache/GreetResponse");
    assert.deepEqual(JSON.parse(first.text), { greeting: "Hello Ann ! 😎" });
    const second = await post(`${base}/apache/greeter/Ann`, '{"who":"Ann"}');
    assert.deepEqual(JSON.parse(second.text), { greeting: "Hello again Ann ! 🤗" });
  });

  it("answers concurrent calls to one address each with its own reply, each message applied once", async () => {
    const replies = await Promise.all(Array.from({ length: 20 }, () => post(`${base}/apache/greeter/Cy`, '{"who":"Cy"}')));
    assert.deepEqual(replies.map((r) => r.status), Array<number>(20).fill(200));
    const greetings = replies.map((r) => (JSON.parse(r.text) as { greeting: string }).greeting).sort();
    const expected = ["Hello Cy ! 😎", "Hello again Cy ! 🤗", "Third time is a charm! Cy! 🥳", "Happy to see you once again Cy ! 😲"];
    for (let n = 5; n <= 20; n++) expected.push(`Hello at the ${n}-th time Cy 🙌`);
    assert.deepEqual(greetings, expected.sort());
    assert.equal(ingress.replies?.waiting, 0);
  });

  it("still answers PUT once the message is accepted, without waiting", async () => {
    const res = await fetch(`${base}/apache/greeter/Dee`, { method: "PUT", headers: GREET, body: '{"who":"Dee"}' });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "");
    await runtime.idle();
    assert.equal((await post(`${base}/apache/greeter/Dee`, '{"who":"Dee"}')).text, '{"greeting":"Hello again Dee ! 🤗"}');
  });

  it("refuses what the playground ingress refuses before anything waits", async () => {
    const unknown = await post(`${base}/apache/nobody/x`, "{}");
    assert.equal(unknown.status, 404);
    const bad = await post(`${base}/apache/greeter/x`, "{not json");
    assert.equal(bad.status, 400);
    assert.equal(ingress.replies?.waiting, 0);
  });
});

describe("request/reply: the timeout", { timeout: 30_000 }, () => {
  const runtime = new Runtime({ logger: silentLogger() });
  const ingress = new PlaygroundIngress({ port: 0, requestReply: { timeoutMs: 150 } });
  const release = deferred();
  let calls = 0;
  const Count = jsonType<{ n: number }>("slow/Count");

  before(async () => {
    runtime.bindFunction(
      defineFunction({
        typename: "slow/counter",
        state: { n: Types.int },
        async fn(ctx) {
          calls++;
          await release.promise;
          const n = (ctx.storage.n ?? 0) + 1;
          ctx.storage.n = n;
          ctx.reply({ n }, Count);
        },
      }),
    );
    runtime.bindIngress(ingress);
    await runtime.start();
  });
  after(() => runtime.stop());

  it("answers 504 with what happened, processes the message exactly once, and drops the late reply", async () => {
    const res = await post(`http://127.0.0.1:${ingress.port}/slow/counter/a`, "{}", { "Content-Type": "application/vnd.slow/Go" });
    assert.equal(res.status, 504);
    assert.match(res.text, /^no reply from slow\/counter\/a within 150 ms\. The message was accepted: it is processed exactly once, and a reply that comes later is dropped\n$/);
    release.resolve();
    await runtime.idle();
    assert.equal(calls, 1);
    const n = runtime.readState({ type: "slow/counter", id: "a" }).find((e) => e.name === "n")?.value;
    assert.equal(Types.int.deserialize(n?.value ?? new Uint8Array(0)), 1);
    assert.equal(ingress.replies?.dropped, 1);
    assert.equal(ingress.replies?.waiting, 0);
  });
});

describe("request/reply: a remote function served by @eddy/sdk over HTTP", { timeout: 30_000 }, () => {
  const runtime = new Runtime({ logger: silentLogger() });
  const ingress = new PlaygroundIngress({ port: 0, requestReply: { timeoutMs: 10_000 } });
  const pools = new EndpointPools();
  let server: Server;

  before(async () => {
    server = createServer(nodeHttpHandler([greeter]));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/statefun`;
    runtime.bindInvoker("apache/*", (functionType) =>
      remoteInvoker({ functionType, url, maxBacklog: 1000, transport: { type: "async", callMs: 5_000 }, pools, logger: silentLogger() }),
    );
    runtime.bindEgress(new PlaygroundEgress({ port: 0, topics: ["greetings"] }));
    runtime.bindIngress(ingress);
    await runtime.start();
  });
  after(async () => {
    await runtime.stop();
    await pools.close();
    server.close();
  });

  it("answers with the reply the remote function sent to its caller", async () => {
    const res = await post(`http://127.0.0.1:${ingress.port}/apache/greeter/Rem`, '{"who":"Rem"}');
    assert.equal(res.status, 200);
    assert.equal(res.type, `application/vnd.${GreetResponseType.typename}`);
    assert.deepEqual(JSON.parse(res.text), { greeting: "Hello Rem ! 😎" });
  });
});

describe("request/reply: the reserved reply namespace", () => {
  it("cannot have functions bound to it", () => {
    const runtime = new Runtime({ logger: silentLogger() });
    assert.throws(() => runtime.bindInvoker(`${REPLY_NAMESPACE}/*`, () => { throw new Error("never"); }), {
      code: "EDDY_CONFIG_INVALID",
      message: /the namespace io\.eddy\.reply is reserved for replies to request\/reply calls/,
    });
  });
});

describe("request/reply: a delayed reply", () => {
  it("fails the invocation with EDDY_INVALID_DELAY (replies cannot be delayed)", async () => {
    const { logger, errors } = capturingLogger();
    const runtime = new Runtime({ logger });
    runtime.bindFunction(
      defineFunction({
        typename: "late/replier",
        fn(ctx) {
          if (ctx.caller !== undefined) ctx.sendAfter(10, message({ to: ctx.caller, value: "later", type: Types.string }));
        },
      }),
    );
    await runtime.start();
    await runtime.accept([
      { target: { type: "late/replier", id: "a" }, argument: { typename: Types.string.typename, value: Types.string.serialize("x") }, caller: { type: `${REPLY_NAMESPACE}/http`, id: "r1" } },
    ]);
    await until(() => errors().some((e) => e.code === "EDDY_INVALID_DELAY"), "the delayed reply to fail");
    assert.match(String(errors()[0]?.["error"]), /replies cannot be delayed/);
    assert.equal(runtime.quarantined().length, 1, "retrying cannot fix it: parked at once");
    assert.equal(runtime.pendingDelayedMessages, 0);
    await runtime.stop({ timeoutMs: 10 });
  });
});
