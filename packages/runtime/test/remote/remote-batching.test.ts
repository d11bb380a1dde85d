// Batching against an endpoint that is at its concurrency limit: the messages
// that arrive while an address waits for the endpoint join that address's
// batch, so an overloaded endpoint gets fewer, larger requests. Real HTTP on
// 127.0.0.1, the SDK's node:http handler, a Runtime over the memory store.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { address, defineFunction, nodeHttpHandler } from "@eddy/sdk";
import { EndpointPools, remoteInvoker, Runtime, silentLogger } from "@eddy/runtime";
import { deferred, str, until } from "../runtime/helpers.js";
import type { Deferred } from "../runtime/helpers.js";
import { startServer } from "./http-fixtures.js";
import type { TestServer } from "./http-fixtures.js";

describe("remote batching at the endpoint's concurrency limit", () => {
  let server: TestServer;
  /** Every request the endpoint got, in arrival order: the address it was for. */
  const requests: string[] = [];
  const seen = new Map<string, string[]>();
  /** While set, the endpoint holds its requests until it resolves. */
  let hold: Deferred | undefined;

  before(async () => {
    const worker = defineFunction({
      typename: "test/worker",
      fn(ctx, msg) {
        const list = seen.get(ctx.self.id) ?? [];
        list.push(msg.asString());
        seen.set(ctx.self.id, list);
      },
    });
    const handler = nodeHttpHandler([worker]);
    server = await startServer((req, res) => {
      requests.push(req.url ?? "");
      const held = hold;
      if (held === undefined) handler(req, res);
      else void held.promise.then(() => handler(req, res));
    });
  });
  after(async () => server.close());

  it("sends what arrived while an address waited for a slot as one request", async () => {
    const pools = new EndpointPools();
    const runtime = new Runtime({ logger: silentLogger() });
    // A pool of one connection: the endpoint's concurrency limit is one request in flight.
    runtime.bindInvoker("test/*", (functionType) =>
      remoteInvoker({ functionType, url: `${server.origin}/statefun`, transport: { type: "async", poolSize: 1 }, pools, logger: silentLogger() }),
    );
    runtime.onStop(() => pools.close());
    await runtime.start();
    try {
      hold = deferred();
      await runtime.send(address("test/worker", "a"), str("a1"));
      await until(() => requests.length === 1, "the endpoint to get a's request");
      await runtime.send(address("test/worker", "b"), str("b1"));
      await until(() => pools.concurrency()[0]?.waiting === 1, "b to wait for the endpoint");
      for (const text of ["b2", "b3", "b4", "b5"]) await runtime.send(address("test/worker", "b"), str(text));
      const release = hold;
      hold = undefined;
      release.resolve();
      await runtime.idle();
      assert.deepEqual(seen.get("b"), ["b1", "b2", "b3", "b4", "b5"], "in order, each once");
      assert.equal(requests.length, 2, "one request for a, one for all of b's messages");
    } finally {
      hold?.resolve();
      hold = undefined;
      await runtime.stop();
    }
  });
});
