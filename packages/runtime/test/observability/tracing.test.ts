import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { address, defineFunction, egressMessage, nodeHttpHandler, stringMessage, Types } from "@eddy/sdk";
import type { TypedValue } from "@eddy/sdk";
import {
  EndpointPools,
  LmdbStateStore,
  ManualClock,
  PlaygroundIngress,
  remoteInvoker,
  Runtime,
  silentLogger,
  tracingFromEnvironment,
} from "@eddy/runtime";
import type { Egress } from "@eddy/runtime";
import { startOtlpReceiver } from "../support/otlp-receiver.js";
import type { OtlpReceiver, ReceivedSpan } from "../support/otlp-receiver.js";
import { until } from "../runtime/helpers.js";

const CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN = "00f067aa0ba902b7";
const TRACEPARENT = `00-${CALLER_TRACE}-${CALLER_SPAN}-01`;

function countingEgress(id: string): Egress & { records: TypedValue[] } {
  const records: TypedValue[] = [];
  return { id, records, check: () => undefined, deliver: (r) => void records.push(...r), describe: () => "counting egress" };
}

function tracing(receiver: OtlpReceiver) {
  return tracingFromEnvironment({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: "20", OTEL_SERVICE_NAME: "eddy-test" }, silentLogger());
}

/** `front` sends `back/<id>` a message now and `back/<id>-later` one after 10 s; `back` writes an egress record. */
function bindCascade(runtime: Runtime, out: Egress): void {
  runtime.bindEgress(out);
  runtime.bindFunction(
    defineFunction({
      typename: "test/front",
      fn(ctx) {
        ctx.send(stringMessage(address("test/back", ctx.self.id), "now"));
        ctx.sendAfter(10_000, stringMessage(address("test/back", `${ctx.self.id}-later`), "later"));
      },
    }),
  );
  runtime.bindFunction(
    defineFunction({
      typename: "test/back",
      fn(ctx, msg) {
        ctx.sendEgress(egressMessage({ egress: "test/out", value: `${ctx.self.id}:${msg.asString()}`, type: Types.string }));
      },
    }),
  );
}

function one(spans: readonly ReceivedSpan[], predicate: (s: ReceivedSpan) => boolean, what: string): ReceivedSpan {
  const found = spans.filter(predicate);
  assert.equal(found.length, 1, `expected one span ${what}, got ${found.length}: ${JSON.stringify(spans.map((s) => [s.name, s.attributes["eddy.address"]]))}`);
  return found[0]!;
}

describe("tracing over OTLP/HTTP", () => {
  let receiver: OtlpReceiver;
  let dir: string;
  beforeEach(async () => {
    receiver = await startOtlpReceiver();
    dir = mkdtempSync(join(tmpdir(), "eddy-tracing-"));
  });
  afterEach(async () => {
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("makes one trace of a request's cascade: ingress, invocations, sends, a delayed message across a restart, commits, egress", async () => {
    const clock = new ManualClock(1_000_000);
    const out = countingEgress("test/out");
    const first = new Runtime({ logger: silentLogger(), clock, store: new LmdbStateStore({ path: dir }), tracing: await tracing(receiver) });
    bindCascade(first, out);
    const ingress = new PlaygroundIngress({ port: 0 });
    first.bindIngress(ingress);
    await first.start();
    const res = await fetch(`http://127.0.0.1:${ingress.port}/test/front/bob`, {
      method: "PUT",
      headers: { "content-type": "application/vnd.test/ping", traceparent: TRACEPARENT },
      body: "hi",
    });
    assert.equal(res.status, 200);
    await until(() => out.records.length === 1, "the first egress record", 100_000);
    await first.idle();
    assert.equal(first.pendingDelayedMessages, 1);
    await first.stop(); // the delayed message waits in the store; stop() flushes the spans

    // A new process on the same data directory: the timer fires there and continues the same trace.
    const second = new Runtime({ logger: silentLogger(), clock, store: new LmdbStateStore({ path: dir }), tracing: await tracing(receiver) });
    bindCascade(second, out);
    await second.start();
    clock.advance(10_000);
    await until(() => out.records.length === 2, "the delayed egress record", 100_000);
    await second.idle();
    await second.stop();

    await receiver.until((spans) => spans.filter((s) => s.name.startsWith("eddy egress")).length === 2, "both egress spans");
    const spans = receiver.spans;
    assert.ok(receiver.contentTypes.every((t) => t.startsWith("application/json")), `OTLP JSON: ${receiver.contentTypes.join(", ")}`);
    assert.ok(spans.every((s) => s.traceId === CALLER_TRACE), `every span is in the caller's trace: ${JSON.stringify(spans.map((s) => [s.name, s.traceId]))}`);
    assert.ok(spans.every((s) => s.serviceName === "eddy-test"));
    const byId = new Map(spans.map((s) => [s.spanId, s]));

    const accept = one(spans, (s) => s.name === "eddy ingress accept", "for the ingress");
    assert.equal(accept.parentSpanId, CALLER_SPAN);
    assert.equal(accept.attributes["eddy.address"], "test/front/bob");

    const front = one(spans, (s) => s.name === "eddy invoke test/front", "for front");
    assert.equal(front.parentSpanId, accept.spanId);
    assert.deepEqual(
      [front.attributes["eddy.address"], front.attributes["eddy.function_type"], front.attributes["eddy.batch_size"], front.attributes["eddy.attempt"]],
      ["test/front/bob", "test/front", 1, 1],
    );
    const back = one(spans, (s) => s.name === "eddy invoke test/back" && s.attributes["eddy.address"] === "test/back/bob", "for back/bob");
    assert.equal(back.parentSpanId, front.spanId, "a function-to-function message continues its sender's span");
    const later = one(spans, (s) => s.name === "eddy invoke test/back" && s.attributes["eddy.address"] === "test/back/bob-later", "for the delayed message");
    assert.equal(later.parentSpanId, front.spanId, "the delayed message, stored across the restart, continues its sender's span");

    const commits = spans.filter((s) => s.name === "eddy commit");
    assert.equal(commits.length, 3);
    assert.deepEqual(new Set(commits.map((c) => c.parentSpanId)), new Set([front.spanId, back.spanId, later.spanId]));
    const egress = spans.filter((s) => s.name === "eddy egress test/out");
    assert.deepEqual(new Set(egress.map((e) => e.parentSpanId)), new Set([back.spanId, later.spanId]));
    for (const s of spans) if (s.parentSpanId !== CALLER_SPAN) assert.ok(byId.has(s.parentSpanId), `${s.name}'s parent was exported`);
  });

  it("starts a new trace for a request without traceparent, and marks a failed attempt", async () => {
    const runtime = new Runtime({ logger: silentLogger(), tracing: await tracing(receiver), retryPolicy: { initialDelayMs: 1, maxDelayMs: 1 } });
    let attempts = 0;
    runtime.bindFunction(
      defineFunction({
        typename: "test/flaky",
        fn() {
          if (attempts++ === 0) throw new Error("not yet");
        },
      }),
    );
    const ingress = new PlaygroundIngress({ port: 0 });
    runtime.bindIngress(ingress);
    await runtime.start();
    const res = await fetch(`http://127.0.0.1:${ingress.port}/test/flaky/x`, { method: "PUT", headers: { "content-type": "application/vnd.test/ping", traceparent: "not-a-traceparent" }, body: "hi" });
    assert.equal(res.status, 200);
    await runtime.idle();
    await runtime.stop();
    await receiver.until((spans) => spans.filter((s) => s.name === "eddy invoke test/flaky").length === 2, "both attempts");
    const accept = one(receiver.spans, (s) => s.name === "eddy ingress accept", "for the ingress");
    assert.equal(accept.parentSpanId, "", "an invalid traceparent is ignored: a new trace starts");
    const attemptsSpans = receiver.spans.filter((s) => s.name === "eddy invoke test/flaky").sort((a, b) => Number(a.attributes["eddy.attempt"]) - Number(b.attributes["eddy.attempt"]));
    assert.deepEqual(attemptsSpans.map((s) => [s.attributes["eddy.attempt"], s.statusCode, s.parentSpanId, s.traceId]), [
      [1, 2, accept.spanId, accept.traceId],
      [2, 0, accept.spanId, accept.traceId],
    ]);
  });

  it("gives a remote call its own span and passes the trace on to the function in a traceparent header", async () => {
    const seen: (string | undefined)[] = [];
    const handler = nodeHttpHandler([defineFunction({ typename: "test/remote", fn: () => undefined })]);
    const server = createServer((req, res) => {
      seen.push(req.headers.traceparent as string | undefined);
      handler(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const pools = new EndpointPools();
    const runtime = new Runtime({ logger: silentLogger(), tracing: await tracing(receiver) });
    runtime.bindInvoker("test/remote", (functionType) =>
      remoteInvoker({ functionType, url: `${origin}/statefun`, transport: { type: "async" }, pools, logger: silentLogger(), tracing: runtime.tracing }),
    );
    await runtime.start();
    try {
      await runtime.accept([{ target: address("test/remote", "r1"), argument: { typename: Types.string.typename, value: Types.string.serialize("x") }, traceparent: TRACEPARENT }]);
      await runtime.idle();
    } finally {
      await runtime.stop();
      await pools.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    await receiver.until((spans) => spans.some((s) => s.name === "eddy remote call test/remote"), "the remote call span");
    const invoke = one(receiver.spans, (s) => s.name === "eddy invoke test/remote", "for the invocation");
    const call = one(receiver.spans, (s) => s.name === "eddy remote call test/remote", "for the call");
    assert.equal(call.parentSpanId, invoke.spanId);
    assert.equal(call.attributes["url.full"], `${origin}/statefun`);
    assert.equal(call.attributes["eddy.attempts"], 1);
    assert.equal(call.kind, 3, "SPAN_KIND_CLIENT");
    // The function (remote state registration makes it two requests) saw the call's span as its parent.
    assert.ok(seen.length >= 1);
    for (const header of seen) assert.equal(header, `00-${CALLER_TRACE}-${call.spanId}-01`);
  });

  it("is off without an OTLP endpoint: no span is exported and no traceparent is stored", async () => {
    const off = await tracingFromEnvironment({}, silentLogger());
    assert.equal(off.enabled, false);
    const clock = new ManualClock(1_000_000);
    const out = countingEgress("test/out");
    const runtime = new Runtime({ logger: silentLogger(), clock, store: new LmdbStateStore({ path: dir }), tracing: off });
    bindCascade(runtime, out);
    await runtime.start();
    await runtime.accept([{ target: address("test/front", "quiet"), argument: { typename: Types.string.typename, value: Types.string.serialize("x") }, traceparent: TRACEPARENT }]);
    await until(() => out.records.length === 1, "the egress record", 100_000);
    await runtime.idle();
    await runtime.stop();
    const store = new LmdbStateStore({ path: dir });
    try {
      const timers = [...store.snapshot()].filter((r) => r.t === "timer");
      assert.equal(timers.length, 1);
      assert.ok(timers[0]!.t === "timer" && timers[0]!.message.traceparent === undefined);
    } finally {
      await store.close();
    }
    assert.equal(receiver.spans.length, 0);
    assert.equal(receiver.contentTypes.length, 0);
  });

  it("refuses an OTLP endpoint that is not an http(s) URL, naming the variable", async () => {
    await assert.rejects(
      tracingFromEnvironment({ OTEL_EXPORTER_OTLP_ENDPOINT: "localhost:4318" }, silentLogger()),
      (e: Error & { code?: string }) => e.code === "EDDY_CONFIG_INVALID" && /OTEL_EXPORTER_OTLP_ENDPOINT/.test(e.message),
    );
  });
});
