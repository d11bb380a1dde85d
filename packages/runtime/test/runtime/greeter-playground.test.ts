import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { PlaygroundEgress, PlaygroundIngress, Runtime, silentLogger } from "@eddy/runtime";
import { greeter } from "../../../../examples/greeter/greeter.js";

describe("the seed's greeter behind the playground ingress and egress", () => {
  const runtime = new Runtime({ logger: silentLogger() });
  const ingress = new PlaygroundIngress({ port: 0 });
  const egress = new PlaygroundEgress({ port: 0, topics: ["greetings"] });
  let ingressUrl = "";
  let egressUrl = "";

  before(async () => {
    runtime.bindFunction(greeter);
    runtime.bindIngress(ingress);
    runtime.bindEgress(egress);
    await runtime.start();
    ingressUrl = `http://127.0.0.1:${ingress.port}`;
    egressUrl = `http://127.0.0.1:${egress.port}`;
  });
  after(() => runtime.stop());

  const greet = (who: string) =>
    fetch(`${ingressUrl}/apache/greeter/${encodeURIComponent(who)}`, {
      method: "PUT",
      headers: { "Content-Type": "application/vnd.apache/GreetRequest" },
      body: JSON.stringify({ who }),
    });

  async function nextGreeting(): Promise<string> {
    for (let i = 0; i < 200; i++) {
      const res = await fetch(`${egressUrl}/greetings`);
      if (res.status === 200) return res.text();
      assert.equal(res.status, 404);
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error("no greeting arrived");
  }

  it("greets Bob with the seed's texts, counting visits in state", async () => {
    const expected = [
      "Hello Bob ! 😎",
      "Hello again Bob ! 🤗",
      "Third time is a charm! Bob! 🥳",
      "Happy to see you once again Bob ! 😲",
      "Hello at the 5-th time Bob 🙌",
      "Hello at the 6-th time Bob 🙌",
    ];
    for (const text of expected) {
      const res = await greet("Bob");
      assert.equal(res.status, 200);
      assert.equal(await nextGreeting(), text);
    }
  });

  it("answers 404 on an empty topic and 405 on an unknown one", async () => {
    assert.equal((await fetch(`${egressUrl}/greetings`)).status, 404);
    assert.equal((await fetch(`${egressUrl}/nope`)).status, 405);
  });

  it("rejects a path that is not /<namespace>/<type>/<id> with 404 and says why", async () => {
    const res = await fetch(`${ingressUrl}/apache/greeter`, { method: "PUT", body: "x" });
    assert.equal(res.status, 404);
    assert.match(await res.text(), /expected a path \/<namespace>\/<type>\/<id>/);
  });

  it("rejects an unknown function type with 404", async () => {
    const res = await fetch(`${ingressUrl}/apache/nobody/Bob`, {
      method: "POST",
      headers: { "Content-Type": "application/vnd.apache/GreetRequest" },
      body: "{}",
    });
    assert.equal(res.status, 404);
    assert.match(await res.text(), /no function is bound for type apache\/nobody/);
  });

  it("rejects a body that does not decode with 400, and keeps serving", async () => {
    const bad = await fetch(`${ingressUrl}/apache/greeter/Eve`, {
      method: "PUT",
      headers: { "Content-Type": "application/vnd.apache/GreetRequest" },
      body: "{not json",
    });
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /apache\/GreetRequest/);
    const wrongType = await fetch(`${ingressUrl}/apache/greeter/Eve`, {
      method: "PUT",
      headers: { "Content-Type": "application/vnd.io.statefun.types/string" },
      body: "Eve",
    });
    assert.equal(wrongType.status, 400);
    assert.match(await wrongType.text(), /accepts apache\/GreetRequest, not io\.statefun\.types\/string/);
    assert.equal((await greet("Eve")).status, 200);
    assert.equal(await nextGreeting(), "Hello Eve ! 😎");
  });

  it("rejects an address id too long to store with 400, before accepting it", async () => {
    const res = await fetch(`${ingressUrl}/apache/greeter/${"x".repeat(1025)}`, {
      method: "PUT",
      headers: { "Content-Type": "application/vnd.apache/GreetRequest" },
      body: JSON.stringify({ who: "long" }),
    });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /address id of 1025 bytes is longer than the limit of 1024 bytes/);
  });
});
