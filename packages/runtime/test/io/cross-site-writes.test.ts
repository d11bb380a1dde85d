import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { defineFunction, playgroundEgressMessage } from "@eddy/sdk";
import { PlaygroundEgress, PlaygroundIngress, Runtime, silentLogger } from "@eddy/runtime";
import { until } from "../runtime/helpers.js";

// A web page a developer visits can send requests to localhost: the ingress must not take them as
// messages and the egress must not hand them records.
describe("cross-site writes to the playground ingress and egress", () => {
  const received: string[] = [];
  const echo = defineFunction({
    typename: "site/echo",
    fn(ctx, message) {
      const text = new TextDecoder().decode(message.rawValue);
      received.push(text);
      ctx.sendEgress(playgroundEgressMessage({ topic: "out", payload: text }));
    },
  });
  const allowed = "http://localhost:3000";
  const runtime = new Runtime({ logger: silentLogger() });
  const ingress = new PlaygroundIngress({ port: 0, allowedOrigins: [allowed] });
  const egress = new PlaygroundEgress({ port: 0, topics: ["out"], allowedOrigins: [allowed] });
  const STRING = "application/vnd.site/text";
  let ingressUrl = "";
  let egressUrl = "";

  before(async () => {
    runtime.bindFunction(echo);
    runtime.bindIngress(ingress);
    runtime.bindEgress(egress);
    await runtime.start();
    ingressUrl = `http://127.0.0.1:${ingress.port}/site/echo/a`;
    egressUrl = `http://127.0.0.1:${egress.port}/out`;
  });
  after(() => runtime.stop());

  async function send(init: RequestInit): Promise<{ status: number; text: string; headers: Headers }> {
    const res = await fetch(ingressUrl, init);
    return { status: res.status, text: await res.text(), headers: res.headers };
  }

  /** Sends one good message and waits for it: what was refused before it never arrived. */
  async function onlyGoodMessagesArrive(marker: string): Promise<void> {
    assert.equal((await send({ method: "PUT", headers: { "content-type": STRING }, body: marker })).status, 200);
    await until(() => received.includes(marker), marker);
    assert.deepEqual(received, [marker]);
    received.length = 0;
    assert.equal((await fetch(egressUrl)).status, 200);
  }

  it("takes only PUT and POST; other methods get 405 with Allow", async () => {
    for (const method of ["GET", "DELETE", "PATCH", "OPTIONS"]) {
      const answer = await send({ method, headers: { "content-type": STRING } });
      assert.equal(answer.status, 405, method);
      assert.equal(answer.headers.get("allow"), "PUT, POST");
      assert.match(answer.text, new RegExp(`${method} sends no message`));
    }
    assert.equal((await send({ method: "POST", headers: { "content-type": STRING }, body: "posted" })).status, 200);
    await until(() => received.includes("posted"), "the POST");
    received.length = 0;
    assert.equal((await fetch(egressUrl)).status, 200);
    await onlyGoodMessagesArrive("after-methods");
  });

  it("takes only a StateFun content type; what a form or a plain fetch sends gets 415", async () => {
    for (const contentType of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", undefined]) {
      const headers: Record<string, string> = contentType === undefined ? {} : { "content-type": contentType };
      const answer = await fetch(ingressUrl, { method: "PUT", headers, body: contentType === undefined ? null : "x" });
      assert.equal(answer.status, 415, String(contentType));
      assert.match(await answer.text(), /application\/vnd\.<namespace>\/<name>/);
    }
    await onlyGoodMessagesArrive("after-content-types");
  });

  it("refuses requests from pages of other origins with 403, and answers an allowed origin with CORS headers", async () => {
    const foreign = await send({ method: "PUT", headers: { "content-type": STRING, origin: "http://evil.example" }, body: "x" });
    assert.equal(foreign.status, 403);
    assert.match(foreign.text, /origin "http:\/\/evil\.example" are refused \(list it in allowedOrigins/);
    const noOrigin = await send({ method: "PUT", headers: { "content-type": STRING, "sec-fetch-site": "cross-site" }, body: "x" });
    assert.equal(noOrigin.status, 403);
    const preflight = await send({
      method: "OPTIONS",
      headers: { origin: "http://evil.example", "access-control-request-method": "PUT" },
    });
    assert.equal(preflight.status, 403);

    const allowedPreflight = await send({
      method: "OPTIONS",
      headers: { origin: allowed, "access-control-request-method": "PUT", "access-control-request-headers": "content-type" },
    });
    assert.equal(allowedPreflight.status, 204);
    assert.equal(allowedPreflight.headers.get("access-control-allow-origin"), allowed);
    assert.equal(allowedPreflight.headers.get("access-control-allow-methods"), "PUT, POST");
    const fromAllowed = await send({ method: "PUT", headers: { "content-type": STRING, origin: allowed }, body: "friend" });
    assert.equal(fromAllowed.status, 200);
    assert.equal(fromAllowed.headers.get("access-control-allow-origin"), allowed);
    await until(() => received.includes("friend"), "the allowed origin's message");
    received.length = 0;
    assert.equal((await fetch(egressUrl)).status, 200);
    await onlyGoodMessagesArrive("after-origins");
  });

  it("pops a record only on GET: HEAD, POST and DELETE get 405 and leave it", async () => {
    assert.equal((await send({ method: "PUT", headers: { "content-type": STRING }, body: "kept" })).status, 200);
    await until(() => received.includes("kept"), "the record");
    received.length = 0;
    for (const method of ["HEAD", "POST", "DELETE"]) {
      const res = await fetch(egressUrl, { method });
      assert.equal(res.status, 405, method);
      assert.equal(res.headers.get("allow"), "GET");
    }
    const foreign = await fetch(egressUrl, { headers: { "sec-fetch-site": "cross-site" } });
    assert.equal(foreign.status, 403);
    assert.equal((await fetch(egressUrl, { headers: { origin: "http://evil.example" } })).status, 403);
    const res = await fetch(egressUrl);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "kept");
    assert.equal((await fetch(egressUrl)).status, 404);
  });
});
