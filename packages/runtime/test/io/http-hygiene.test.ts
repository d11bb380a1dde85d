import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Pool } from "undici";
import { defineFunction } from "@eddy/sdk";
import { PlaygroundEgress, PlaygroundIngress, Runtime, silentLogger } from "@eddy/runtime";
import { parseResponse, rawExchange } from "./raw-http.js";

// Protocol garbage, oversized headers and slow clients never reach a handler: Node answers them
// itself with a bare status line unless the server says otherwise.
describe("HTTP hygiene of the playground ingress and egress", () => {
  const received: string[] = [];
  const sink = defineFunction({
    typename: "hygiene/sink",
    fn(_ctx, message) {
      received.push(new TextDecoder().decode(message.rawValue));
    },
  });
  const runtime = new Runtime({ logger: silentLogger() });
  const limits = { headersTimeoutMs: 300, requestTimeoutMs: 600, idleTimeoutMs: 300, maxHeaderBytes: 4096 };
  const ingress = new PlaygroundIngress({ port: 0, limits });
  const egress = new PlaygroundEgress({ port: 0, topics: ["out"], limits });

  before(async () => {
    runtime.bindFunction(sink);
    runtime.bindIngress(ingress);
    runtime.bindEgress(egress);
    await runtime.start();
  });
  after(() => runtime.stop());

  it("answers protocol garbage with 400 and a body naming the problem", async () => {
    for (const port of [ingress.port, egress.port]) {
      const answer = parseResponse(await rawExchange(port, "HELLO THERE\r\n\r\n").response);
      assert.equal(answer.status, 400);
      assert.match(answer.body, /malformed HTTP request: /);
      assert.equal(answer.headers["x-content-type-options"], "nosniff");
    }
  });

  it("answers headers over maxHeaderBytes with 431 and says the limit", async () => {
    const request = `PUT /hygiene/sink/a HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(8000)}\r\n\r\n`;
    const answer = parseResponse(await rawExchange(ingress.port, request).response);
    assert.equal(answer.status, 431);
    assert.match(answer.body, /larger than the limit of 4096 bytes/);
  });

  it("closes a client that trickles its body with 408 once requestTimeout passes", { timeout: 10_000 }, async () => {
    const exchange = rawExchange(
      ingress.port,
      "PUT /hygiene/sink/slow HTTP/1.1\r\nHost: x\r\nContent-Type: application/vnd.io.statefun.types/string\r\nContent-Length: 100000\r\n\r\n",
    );
    // One byte every 20 ms keeps the connection busy: only the whole-request limit ends it.
    const trickle = setInterval(() => exchange.socket.write("x"), 20);
    const answer = parseResponse(await exchange.response.finally(() => clearInterval(trickle)));
    assert.equal(answer.status, 408);
    assert.match(answer.body, /the whole request within 600 ms/);
    assert.deepEqual(received, []);
  });

  it("closes a client that never finishes its headers with 408", { timeout: 10_000 }, async () => {
    const answer = parseResponse(await rawExchange(egress.port, "GET /out HTTP/1.1\r\nHost: x\r\n").response);
    assert.equal(answer.status, 408);
    assert.match(answer.body, /headers within 300 ms/);
  });

  it("closes an idle keep-alive connection after idleTimeout", { timeout: 10_000 }, async () => {
    const exchange = rawExchange(egress.port, "GET /out HTTP/1.1\r\nHost: x\r\n\r\n");
    const answer = parseResponse(await exchange.response);
    // Node's default keeps it for 65 s: the test's timeout fails first.
    assert.equal(answer.status, 404, "the one request on the connection was answered before it closed");
  });

  it("sends X-Content-Type-Options: nosniff on every answer", async () => {
    const answers = [
      await fetch(`http://127.0.0.1:${ingress.port}/<script>/x/y`, {
        method: "PUT",
        headers: { "content-type": "application/vnd.io.statefun.types/string" },
        body: "x",
      }),
      await fetch(`http://127.0.0.1:${ingress.port}/only/two`, { method: "PUT", body: "x" }),
      await fetch(`http://127.0.0.1:${egress.port}/out`),
      await fetch(`http://127.0.0.1:${egress.port}/<b>nope</b>`),
    ];
    for (const res of answers) {
      await res.arrayBuffer();
      assert.equal(res.headers.get("x-content-type-options"), "nosniff", `${res.status} ${res.url}`);
    }
  });
});

describe("requests the ingress refuses", () => {
  const runtime = new Runtime({ logger: silentLogger() });
  const ingress = new PlaygroundIngress({ port: 0 });

  before(async () => {
    runtime.bindFunction(defineFunction({ typename: "hygiene/known", fn() {} }));
    runtime.bindIngress(ingress);
    await runtime.start();
  });
  after(() => runtime.stop());

  it("leave nothing behind: thousands of distinct unknown function types do not grow the heap", async () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const pool = new Pool(`http://127.0.0.1:${ingress.port}`, { connections: 8 });
    const filler = "t".repeat(3000);
    const send = async (n: number) => {
      const { statusCode, body } = await pool.request({
        path: `/unknown${n}/${filler}/id`,
        method: "PUT",
        headers: { "content-type": "application/vnd.io.statefun.types/string" },
        body: "x",
      });
      await body.dump();
      assert.equal(statusCode, 404);
    };
    const REQUESTS = 5000;
    await Promise.all(Array.from({ length: 50 }, (_, i) => send(-i - 1))); // warm up connections and code paths
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let n = 0; n < REQUESTS; n += 50) await Promise.all(Array.from({ length: 50 }, (_, i) => send(n + i)));
    await pool.close();
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    // Keeping each refused type name (3 KB) would grow the heap by about 15 MB.
    assert.ok(grown < 5 * 1024 * 1024, `heap grew by ${Math.round(grown / 1024)} KiB after ${REQUESTS} refused requests`);
  });
});
