// The runtime's remote invoker against the SDK's node:http handler, over real
// HTTP on 127.0.0.1 and over a Unix socket.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Types,
  address,
  defineFunction,
  egressMessage,
  nodeHttpHandler,
  stringMessage,
  typedValue,
} from "@eddy/sdk";
import type { BatchOutcome, InvocationBatch } from "@eddy/sdk";
import { silentLogger } from "../../src/log/logger.js";
import { EndpointPools } from "../../src/remote/endpoint-pools.js";
import { functionUrl } from "../../src/remote/endpoint-url.js";
import { remoteInvoker } from "../../src/remote/remote-invoker.js";
import type { TransportOptions } from "../../src/remote/transport-options.js";
import { startServer } from "./http-fixtures.js";
import type { TestServer } from "./http-fixtures.js";

const INT = "io.statefun.types/int";
const STRING = "io.statefun.types/string";

const counter = defineFunction({
  typename: "com.example/counter",
  state: {
    count: Types.int,
    note: { type: Types.string, expireAfterWrite: 60_000 },
    seen: { type: Types.string, expireAfterCall: 5_000 },
  },
  fn(ctx, msg) {
    const n = (ctx.storage.count ?? 0) + msg.asInt();
    ctx.storage.count = n;
    ctx.storage.note = undefined;
    ctx.send(stringMessage(address("com.example/other", "x"), `n=${n}`));
    ctx.sendAfter(1500, stringMessage(ctx.self, "tick"), `tick-${n}`);
    ctx.cancelDelayedMessage(`tick-${n - 1}`);
    ctx.sendEgress(egressMessage({ egress: "com.example/out", value: `caller=${ctx.caller?.id ?? "-"}`, type: Types.string }));
  },
});

const ASYNC: TransportOptions = { type: "async", callMs: 2_000 };
const OKHTTP: TransportOptions = { type: "okhttp", callMs: 2_000 };

function intValue(n: number) {
  return typedValue(INT, Types.int.serialize(n));
}

function stringValue(s: string) {
  return typedValue(STRING, Types.string.serialize(s));
}

const fullBatch: InvocationBatch = {
  target: address("com.example/counter", "c1"),
  states: [
    { name: "count", value: intValue(5) },
    { name: "note", value: stringValue("old") },
    { name: "seen", value: undefined },
  ],
  invocations: [
    { caller: undefined, argument: intValue(2) },
    { caller: address("com.example/other", "y"), argument: intValue(3) },
  ],
};

function expectedEffects(): BatchOutcome {
  return {
    kind: "completed",
    effects: {
      mutations: [
        { kind: "modify", name: "count", value: intValue(10) },
        { kind: "delete", name: "note" },
      ],
      messages: [
        { target: address("com.example/other", "x"), argument: stringValue("n=7") },
        { target: address("com.example/other", "x"), argument: stringValue("n=10") },
      ],
      delayed: [
        { kind: "send", delayMs: 1500, target: address("com.example/counter", "c1"), argument: stringValue("tick"), cancellationToken: "tick-7" },
        { kind: "cancel", cancellationToken: "tick-6" },
        { kind: "send", delayMs: 1500, target: address("com.example/counter", "c1"), argument: stringValue("tick"), cancellationToken: "tick-10" },
        { kind: "cancel", cancellationToken: "tick-9" },
      ],
      egress: [
        { egress: "com.example/out", argument: stringValue("caller=-") },
        { egress: "com.example/out", argument: stringValue("caller=y") },
      ],
    },
  };
}

/** Strips Buffer vs Uint8Array differences so deepEqual compares content. */
function plain(x: unknown): unknown {
  if (x instanceof Uint8Array) return [...x];
  if (Array.isArray(x)) return x.map(plain);
  if (typeof x === "object" && x !== null) return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, plain(v)]));
  return x;
}

describe("remote invoker ⇄ SDK nodeHttpHandler over 127.0.0.1", () => {
  let server: TestServer;
  const paths: string[] = [];
  const pools = new EndpointPools();

  before(async () => {
    const handler = nodeHttpHandler([counter]);
    server = await startServer((req, res) => {
      paths.push(req.url ?? "");
      handler(req, res);
    });
  });
  after(async () => {
    await pools.close();
    await server.close();
  });

  for (const transport of [ASYNC, OKHTTP]) {
    it(`runs a batch and decodes every kind of effect (${transport.type})`, async () => {
      const invoker = remoteInvoker({
        functionType: "com.example/counter",
        url: `${server.origin}/statefun`,
        transport,
        pools,
        logger: silentLogger(),
      });
      const outcome = await invoker.invoke(fullBatch);
      assert.deepEqual(plain(outcome), plain(expectedEffects()));
    });
  }

  it("gets IncompleteInvocationContext with every declared spec when no state is registered yet", async () => {
    const invoker = remoteInvoker({
      functionType: "com.example/counter",
      url: `${server.origin}/statefun`,
      transport: ASYNC,
      pools,
      logger: silentLogger(),
    });
    const outcome = await invoker.invoke({ ...fullBatch, states: [] });
    assert.deepEqual(outcome, {
      kind: "incomplete",
      missing: [
        { name: "count", typename: INT, expireMode: "none", expireAfterMs: 0 },
        { name: "note", typename: STRING, expireMode: "after-write", expireAfterMs: 60_000 },
        { name: "seen", typename: STRING, expireMode: "after-invoke", expireAfterMs: 5_000 },
      ],
    });
  });

  it("declares only the states that are missing", async () => {
    const invoker = remoteInvoker({
      functionType: "com.example/counter",
      url: `${server.origin}/statefun`,
      transport: OKHTTP,
      pools,
      logger: silentLogger(),
    });
    const outcome = await invoker.invoke({ ...fullBatch, states: [{ name: "count", value: undefined }] });
    assert.equal(outcome.kind, "incomplete");
    assert.deepEqual(
      outcome.kind === "incomplete" ? outcome.missing.map((s) => s.name) : [],
      ["note", "seen"],
    );
  });

  it("substitutes {function.name} with the type's name part", async () => {
    const url = functionUrl(`${server.origin}/fns/{function.name}?v=1`, "com.example/greeter");
    assert.equal(url, `${server.origin}/fns/greeter?v=1`);
    const invoker = remoteInvoker({
      functionType: "com.example/counter",
      url: functionUrl(`${server.origin}/fns/{function.name}`, "com.example/counter"),
      transport: ASYNC,
      pools,
      logger: silentLogger(),
    });
    assert.equal(invoker.description, `${server.origin}/fns/counter`);
    paths.length = 0;
    await invoker.invoke(fullBatch);
    assert.deepEqual(paths, ["/fns/counter"]);
  });

  it("shares one pool between the function types of one origin and transport", () => {
    const local = new EndpointPools();
    for (const type of ["com.example/a", "com.example/b"]) {
      remoteInvoker({
        functionType: type,
        url: functionUrl(`${server.origin}/{function.name}`, type),
        transport: ASYNC,
        pools: local,
        logger: silentLogger(),
      });
    }
    assert.equal(local.size, 1);
    remoteInvoker({ functionType: "com.example/c", url: `${server.origin}/c`, transport: OKHTTP, pools: local, logger: silentLogger() });
    assert.equal(local.size, 2);
    return local.close();
  });

  it("uses StateFun's default backlog limit and reports no states up front", () => {
    const invoker = remoteInvoker({
      functionType: "com.example/counter",
      url: `${server.origin}/statefun`,
      transport: { type: "async" },
      pools,
      logger: silentLogger(),
    });
    assert.equal(invoker.maxBacklog, 1000);
    assert.deepEqual(invoker.stateSpecs, []);
    const unlimited = remoteInvoker({
      functionType: "com.example/counter",
      url: `${server.origin}/statefun`,
      maxBacklog: -1,
      transport: { type: "async" },
      pools,
      logger: silentLogger(),
    });
    assert.equal(unlimited.maxBacklog, 0);
  });

  it("refuses calls once the pools are closed", async () => {
    const local = new EndpointPools();
    const invoker = remoteInvoker({
      functionType: "com.example/counter",
      url: `${server.origin}/statefun`,
      transport: ASYNC,
      pools: local,
      logger: silentLogger(),
    });
    await local.close();
    await assert.rejects(Promise.resolve(invoker.invoke(fullBatch)), { code: "EDDY_SHUTTING_DOWN" });
    assert.throws(
      () => remoteInvoker({ functionType: "com.example/counter", url: `${server.origin}/x`, transport: ASYNC, pools: local, logger: silentLogger() }),
      { code: "EDDY_SHUTTING_DOWN" },
    );
  });
});

describe("remote invoker over a Unix socket (http+unix)", () => {
  let dir: string;
  let server: TestServer;
  const paths: string[] = [];
  const pools = new EndpointPools();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "eddy-"));
    const handler = nodeHttpHandler([counter]);
    server = await startServer((req, res) => {
      paths.push(req.url ?? "");
      handler(req, res);
    }, join(dir, "fn.sock"));
  });
  after(async () => {
    await pools.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const transport of [ASYNC, OKHTTP]) {
    it(`calls the function through the socket, with the path after .sock (${transport.type})`, async () => {
      paths.length = 0;
      const url = functionUrl(`http+unix://${dir}/fn.sock/statefun/{function.name}`, "com.example/counter");
      const invoker = remoteInvoker({ functionType: "com.example/counter", url, transport, pools, logger: silentLogger() });
      const outcome = await invoker.invoke(fullBatch);
      assert.deepEqual(plain(outcome), plain(expectedEffects()));
      assert.deepEqual(paths, ["/statefun/counter"]);
    });
  }

  it("fails with a clear reason when the socket file does not exist", async () => {
    const url = `http+unix://${dir}/missing.sock/statefun`;
    const invoker = remoteInvoker({
      functionType: "com.example/counter",
      url,
      transport: { type: "async", callMs: 100 },
      pools,
      logger: silentLogger(),
    });
    await assert.rejects(Promise.resolve(invoker.invoke(fullBatch)), (error: Error & { code?: string }) => {
      assert.equal(error.code, "EDDY_REMOTE_CALL_FAILED");
      assert.match(error.message, /missing\.sock/);
      assert.match(error.message, /does not exist/);
      return true;
    });
  });
});
