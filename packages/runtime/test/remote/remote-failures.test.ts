// How the remote invoker handles a misbehaving endpoint, per transport, against
// raw node:http servers on 127.0.0.1 (and a closed port).
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import type { FromFunction_PersistedValueMutation_MutationType as MutationType } from "@eddy/protocol";
import { encodeFromFunction } from "@eddy/protocol";
import { address, encodeBatchOutcome, isEddyError, typedValue } from "@eddy/sdk";
import type { BatchOutcome, EddyError, InvocationBatch } from "@eddy/sdk";
import { silentLogger } from "../../src/log/logger.js";
import type { Logger } from "../../src/log/logger.js";
import { EndpointPools } from "../../src/remote/endpoint-pools.js";
import { remoteInvoker } from "../../src/remote/remote-invoker.js";
import type { TransportOptions } from "../../src/remote/transport-options.js";
import { closedPort, readBody, startServer } from "./http-fixtures.js";
import type { Listener, TestServer } from "./http-fixtures.js";
import { capturingLogger } from "../support/capturing-logger.js";

const batch: InvocationBatch = {
  target: address("com.example/fn", "a1"),
  states: [],
  invocations: [{ caller: undefined, argument: typedValue("com.example/msg", new Uint8Array([1])) }],
};

const EMPTY_RESULT: BatchOutcome = { kind: "completed", effects: { mutations: [], messages: [], delayed: [], egress: [] } };
const OK_BODY = Buffer.from(encodeBatchOutcome(EMPTY_RESULT));

const pools = new EndpointPools();
const servers: TestServer[] = [];
after(async () => {
  await pools.destroy();
  await Promise.all(servers.map((s) => s.close()));
});

/** A server answering each request with `respond(n)`, n counting from 1. */
async function serve(respond: (n: number, req: Parameters<Listener>[0], res: Parameters<Listener>[1]) => void) {
  let count = 0;
  const server = await startServer((req, res) => {
    void readBody(req).then(() => respond(++count, req, res));
  });
  servers.push(server);
  return { url: `${server.origin}/statefun`, attempts: () => count };
}

function reply(res: Parameters<Listener>[1], status: number, contentType: string, body: Uint8Array | string): void {
  res.writeHead(status, { "Content-Type": contentType });
  res.end(body);
}

function invoker(url: string, transport: TransportOptions, logger: Logger = silentLogger()) {
  return remoteInvoker({ functionType: "com.example/fn", url, transport, pools, logger });
}

async function failure(promise: unknown): Promise<EddyError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isEddyError(error), `expected an EddyError, got ${String(error)}`);
    return error;
  }
  assert.fail("expected the call to fail");
}

const ASYNC_300: TransportOptions = { type: "async", callMs: 300 };
// For scenarios that need a second attempt inside the budget: at load 14 on 2 cores a first attempt took over 300 ms.
const ASYNC_1S: TransportOptions = { type: "async", callMs: 1_000 };
const OKHTTP_2S: TransportOptions = { type: "okhttp", callMs: 2_000 };

describe("remote invoker failure handling", () => {
  it("sends StateFun's request headers as a POST", async () => {
    let seen: Parameters<Listener>[0] | undefined;
    const s = await serve((_n, req, res) => {
      seen = req;
      reply(res, 200, "application/octet-stream", OK_BODY);
    });
    await invoker(s.url, { type: "async" }).invoke(batch);
    assert.equal(seen?.method, "POST");
    assert.equal(seen?.url, "/statefun");
    assert.equal(seen?.headers["content-type"], "application/octet-stream");
    assert.equal(seen?.headers["accept"], "application/octet-stream");
    assert.equal(seen?.headers["user-agent"], "statefun");
    assert.equal(seen?.headers["accept-encoding"], "gzip,deflate");
    assert.match(seen?.headers["host"] ?? "", /^127\.0\.0\.1:\d+$/);
  });

  it("async: retries a 500, succeeds on the next attempt and logs the failed one at debug", async () => {
    const s = await serve((n, _req, res) =>
      n === 1 ? reply(res, 500, "text/plain", "boom") : reply(res, 200, "application/octet-stream", OK_BODY),
    );
    const { logger, entries: lines } = capturingLogger();
    const outcome = await invoker(s.url, { type: "async", callMs: 2_000 }, logger).invoke(batch);
    assert.deepEqual(outcome, EMPTY_RESULT);
    assert.equal(s.attempts(), 2);
    // The address's state changes are the processor's to log; an attempt is only worth a debug line.
    assert.deepEqual(lines.filter((l) => l.level > 20), []);
    const attempts = lines.filter((l) => l["msg"] === "remote function call attempt failed");
    assert.equal(attempts.length, 1);
    assert.equal(attempts[0]?.["level"], 20);
    assert.equal(attempts[0]?.["endpoint"], s.url);
    assert.equal(attempts[0]?.["address"], "com.example/fn/a1");
    assert.equal(attempts[0]?.["attempt"], 1);
    assert.equal(attempts[0]?.["reason"], "HTTP 500: boom");
  });

  it("okhttp: retries 503 and 429, then succeeds", async () => {
    const s = await serve((n, _req, res) => {
      if (n === 1) reply(res, 503, "text/plain", "");
      else if (n === 2) reply(res, 429, "text/plain", "");
      else reply(res, 200, "application/octet-stream", OK_BODY);
    });
    assert.deepEqual(await invoker(s.url, OKHTTP_2S).invoke(batch), EMPTY_RESULT);
    assert.equal(s.attempts(), 3);
  });

  it("okhttp: fails at once on a 404", async () => {
    const s = await serve((_n, _req, res) => reply(res, 404, "text/plain", "no such path"));
    const error = await failure(invoker(s.url, OKHTTP_2S).invoke(batch));
    assert.equal(s.attempts(), 1);
    assert.equal(error.code, "EDDY_REMOTE_CALL_FAILED");
    assert.equal(error.retryable, false);
    assert.match(error.message, new RegExp(s.url));
    assert.match(error.message, /com\.example\/fn\/a1/);
    assert.match(error.message, /1 attempt /);
    assert.match(error.message, /HTTP 404: no such path/);
  });

  it("async: retries a 404 until the call budget is used up", async () => {
    const s = await serve((_n, _req, res) => reply(res, 404, "text/plain", ""));
    const started = performance.now();
    const error = await failure(invoker(s.url, ASYNC_1S).invoke(batch));
    const elapsed = performance.now() - started;
    // How many attempts fit in 1 s depends on the machine's load (2 on a loaded CI box, 7 on an idle one):
    // the scenario is that it retried and stopped because the budget was spent, not after a number of attempts.
    assert.ok(s.attempts() >= 2, `only ${s.attempts()} attempt`);
    assert.ok(elapsed >= 980 && elapsed < 6_000, `took ${elapsed} ms`);
    assert.equal(error.code, "EDDY_REMOTE_CALL_FAILED");
    assert.equal(error.retryable, true);
    assert.match(error.message, new RegExp(`after ${s.attempts()} attempts`));
    assert.match(error.message, /budget of 1,?000 ms/);
    assert.match(error.message, /HTTP 404$/);
  });

  it("async: retries a wrong content type; okhttp fails at once", async () => {
    const s = await serve((_n, _req, res) => reply(res, 200, "text/html", "<html></html>"));
    const asyncError = await failure(invoker(s.url, ASYNC_1S).invoke(batch));
    assert.ok(s.attempts() >= 2, "async retried it");
    assert.match(asyncError.message, /response Content-Type text\/html is not application\/octet-stream/);

    const o = await serve((_n, _req, res) => reply(res, 200, "text/html", "<html></html>"));
    const okError = await failure(invoker(o.url, OKHTTP_2S).invoke(batch));
    assert.equal(o.attempts(), 1);
    assert.equal(okError.retryable, false);
    assert.match(okError.message, /response Content-Type text\/html is not application\/octet-stream/);
  });

  it("okhttp wants the exact media type; async ignores case", async () => {
    const s = await serve((_n, _req, res) => reply(res, 200, "Application/Octet-Stream", OK_BODY));
    assert.deepEqual(await invoker(s.url, ASYNC_300).invoke(batch), EMPTY_RESULT);
    const o = await serve((_n, _req, res) => reply(res, 200, "application/octet-stream; charset=utf-8", OK_BODY));
    await failure(invoker(o.url, OKHTTP_2S).invoke(batch));
    assert.equal(o.attempts(), 1);
  });

  it("turns a garbage body into a failed call, never a crash", async () => {
    const garbage = new Uint8Array(12).fill(0xff);
    const s = await serve((_n, _req, res) => reply(res, 200, "application/octet-stream", garbage));
    const okError = await failure(invoker(s.url, OKHTTP_2S).invoke(batch));
    assert.equal(s.attempts(), 1);
    assert.equal(okError.code, "EDDY_REMOTE_CALL_FAILED");
    assert.match(okError.message, /body is not a FromFunction: cannot decode io\.statefun\.sdk\.reqreply\.FromFunction/);
    assert.ok(isEddyError(okError.cause, "EDDY_PROTOCOL_DECODE"));

    const a = await serve((_n, _req, res) => reply(res, 200, "application/octet-stream", garbage));
    const asyncError = await failure(invoker(a.url, { type: "async", callMs: 150 }).invoke(batch));
    assert.ok(a.attempts() > 1);
    assert.match(asyncError.message, /body is not a FromFunction/);
  });

  it("treats an empty 200 body as a completed batch with no effects", async () => {
    const s = await serve((_n, _req, res) => reply(res, 200, "application/octet-stream", ""));
    assert.deepEqual(await invoker(s.url, OKHTTP_2S).invoke(batch), EMPTY_RESULT);
  });

  it("rejects an unknown mutation type at once, naming it", async () => {
    const body = encodeFromFunction({
      response: { case: "invocationResult", value: { stateMutations: [{ mutationType: 7 as MutationType, stateName: "seen" }] } },
    });
    for (const transport of [ASYNC_300, OKHTTP_2S]) {
      const s = await serve((_n, _req, res) => reply(res, 200, "application/octet-stream", body));
      const error = await failure(invoker(s.url, transport).invoke(batch));
      assert.equal(s.attempts(), 1);
      assert.match(error.message, /unknown mutation type 7 for "seen"|mutation for "seen" has unknown mutation type 7/);
    }
  });

  it("fails within the budget when the port is closed, naming the endpoint", async () => {
    const url = `http://127.0.0.1:${await closedPort()}/statefun`;
    const { logger, entries: lines } = capturingLogger();
    const started = performance.now();
    const error = await failure(invoker(url, ASYNC_300, logger).invoke(batch));
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 5_000, `took ${elapsed} ms`);
    assert.equal(error.code, "EDDY_REMOTE_CALL_FAILED");
    assert.match(error.message, new RegExp(`remote call to ${url} for com\\.example/fn/a1 failed after \\d+ attempts`));
    assert.match(error.message, /connection refused/);
    assert.ok(lines.filter((l) => l["reason"] === "connection refused").length > 1);

    const okError = await failure(invoker(url, { type: "okhttp", callMs: 200 }).invoke(batch));
    assert.match(okError.message, /connection refused/);
  });

  it("times out a server slower than the call budget", async () => {
    const s = await serve(() => {
      // Never answers.
    });
    const started = performance.now();
    const error = await failure(invoker(s.url, { type: "async", callMs: 200 }).invoke(batch));
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 190 && elapsed < 5_000, `took ${elapsed} ms`);
    assert.match(error.message, /no complete response within \d+ ms/);
  });

  it("okhttp: a read timeout is retried like an IO error", async () => {
    const s = await serve((n, _req, res) => {
      if (n > 1) reply(res, 200, "application/octet-stream", OK_BODY);
    });
    const outcome = await invoker(s.url, { type: "okhttp", callMs: 2_000, readMs: 100 }).invoke(batch);
    assert.deepEqual(outcome, EMPTY_RESULT);
    assert.equal(s.attempts(), 2);
  });

  it("rejects a body over payloadMaxBytes", async () => {
    const s = await serve((_n, _req, res) => reply(res, 200, "application/octet-stream", new Uint8Array(64)));
    const error = await failure(invoker(s.url, { type: "async", callMs: 100, payloadMaxBytes: 16 }).invoke(batch));
    assert.match(error.message, /64 bytes exceeds payload_max_bytes \(16\)/);
  });

  it("decompresses a gzip response", async () => {
    const s = await serve((_n, _req, res) => {
      res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Encoding": "gzip" });
      res.end(gzipSync(OK_BODY));
    });
    assert.deepEqual(await invoker(s.url, ASYNC_300).invoke(batch), EMPTY_RESULT);
  });

  it("survives the server dropping the connection mid-request", async () => {
    const s = await serve((n, req, res) => {
      if (n === 1) req.socket.destroy();
      else reply(res, 200, "application/octet-stream", OK_BODY);
    });
    assert.deepEqual(await invoker(s.url, OKHTTP_2S).invoke(batch), EMPTY_RESULT);
    assert.equal(s.attempts(), 2);
  });
});
