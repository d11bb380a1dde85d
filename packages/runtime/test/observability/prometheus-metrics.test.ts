import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { address, defineFunction, egressMessage, nodeHttpHandler, stringMessage, Types } from "@eddy/sdk";
import type { TypedValue } from "@eddy/sdk";
import { createRuntimeAdmin, EndpointPools, partitionOf, PlaygroundIngress, PLAYGROUND_INGRESS_ID, remoteInvoker, Runtime, runtimeMetrics, silentLogger } from "@eddy/runtime";
import type { Egress } from "@eddy/runtime";
import { parsePrometheusText } from "../support/prometheus-text.js";
import type { Scrape } from "../support/prometheus-text.js";
import { deferred, until } from "../runtime/helpers.js";

const PARTITIONS = 4;

function countingEgress(id: string): Egress & { records: TypedValue[] } {
  const records: TypedValue[] = [];
  return { id, records, check: () => undefined, deliver: (r) => void records.push(...r), describe: () => "counting egress" };
}

async function scrape(runtime: Runtime): Promise<Scrape> {
  const metrics = await runtimeMetrics(runtime);
  assert.match(metrics.contentType, /^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await metrics.text());
}

/** Checks one histogram series: cumulative buckets never go down and +Inf equals _count. */
function assertHistogram(s: Scrape, name: string, labels: Record<string, string>, count: number): void {
  const buckets = s.find(`${name}_bucket`, labels);
  assert.ok(buckets.length > 10, `${name} has buckets`);
  for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i]!.value >= buckets[i - 1]!.value, `${name} buckets are cumulative`);
  assert.equal(buckets.at(-1)!.labels["le"], "+Inf");
  assert.equal(buckets.at(-1)!.value, count);
  assert.equal(s.value(`${name}_count`, labels), count);
  assert.ok(s.value(`${name}_sum`, labels) > 0);
}

describe("Prometheus metrics", () => {
  it("count invocations, failures by reason, messages by direction, commits, egress and ingress records", async () => {
    const runtime = new Runtime({ logger: silentLogger(), partitions: PARTITIONS, retryPolicy: { initialDelayMs: 1, maxDelayMs: 2 } });
    const out = countingEgress("test/out");
    runtime.bindEgress(out);
    const routers = [
      { id: "a", fanOut: 3 },
      { id: "b", fanOut: 5 },
      { id: "flaky", fanOut: 2 },
      { id: "bad-egress", fanOut: 1 },
    ];
    let flakyAttempts = 0;
    let badEgressAttempts = 0;
    runtime.bindFunction(
      defineFunction({
        typename: "test/router",
        fn(ctx) {
          const fanOut = routers.find((r) => r.id === ctx.self.id)?.fanOut ?? 0;
          if (ctx.self.id === "flaky" && flakyAttempts++ === 0) throw new Error("first attempt fails");
          // The first attempt names an egress nobody bound: the commit is refused and, since retrying
          // cannot fix that, the message parked; the test retries it (as an operator would) and it succeeds.
          const egress = ctx.self.id === "bad-egress" && badEgressAttempts++ === 0 ? "test/nowhere" : "test/out";
          for (let i = 0; i < fanOut; i++) ctx.send(stringMessage(address("test/sink", `${ctx.self.id}-${i}`), "hi"));
          ctx.sendEgress(egressMessage({ egress, value: ctx.self.id, type: Types.string }));
        },
      }),
    );
    runtime.bindFunction(defineFunction({ typename: "test/sink", state: { n: Types.int }, fn: (ctx) => void (ctx.storage.n = (ctx.storage.n ?? 0) + 1) }));
    const ingress = new PlaygroundIngress({ port: 0 });
    runtime.bindIngress(ingress);
    await runtime.start();
    try {
      // One message at a time, so every batch holds one message and the counts are exact.
      for (const r of routers) {
        await runtime.send(address("test/router", r.id), { typename: Types.string.typename, value: Types.string.serialize(r.id) });
        await runtime.idle();
      }
      assert.ok(await runtime.retryQuarantined(address("test/router", "bad-egress")), "the unknown egress parked its message");
      await runtime.idle();
      for (const id of ["http-1", "http-2"]) {
        const res = await fetch(`http://127.0.0.1:${ingress.port}/test/router/${id}`, { method: "PUT", headers: { "content-type": "application/vnd.test/ping" }, body: "0" });
        assert.equal(res.status, 200);
      }
      await runtime.idle();

      const s = await scrape(runtime);
      const sends = routers.reduce((n, r) => n + r.fanOut, 0);
      const routerMessages = routers.length + 2;
      // Each sink address gets one message; every router message is one batch, two of which failed once.
      assert.equal(s.value("eddy_function_invocations_total", { function_type: "test/router" }), routerMessages + 2);
      assert.equal(s.value("eddy_function_invocations_total", { function_type: "test/sink" }), sends);
      assert.equal(s.value("eddy_function_failures_total", { function_type: "test/router", reason: "EDDY_FUNCTION_FAILED" }), 1);
      assert.equal(s.value("eddy_function_failures_total", { function_type: "test/router", reason: "EDDY_UNKNOWN_EGRESS" }), 1);
      assert.equal(s.find("eddy_function_failures_total", { function_type: "test/sink" }).length, 0);
      assert.equal(s.types.get("eddy_function_failures_total"), "counter");

      assert.equal(s.value("eddy_messages_total", { function_type: "test/router", direction: "in" }), routerMessages);
      assert.equal(s.value("eddy_messages_total", { function_type: "test/sink", direction: "in" }), sends);
      assert.equal(s.value("eddy_messages_total", { function_type: "test/router", direction: "egress" }), routerMessages);
      // Local means the target's partition is the sender's (StateFun: the same task).
      let local = 0;
      for (const r of routers) {
        for (let i = 0; i < r.fanOut; i++) if (partitionOf(`${r.id}-${i}`, PARTITIONS) === partitionOf(r.id, PARTITIONS)) local++;
      }
      assert.ok(local > 0 && local < sends, `the scenario sends both ways (local=${local} of ${sends})`);
      assert.equal(s.value("eddy_messages_total", { function_type: "test/router", direction: "out_local" }), local);
      assert.equal(s.value("eddy_messages_total", { function_type: "test/router", direction: "out_remote" }), sends - local);

      assert.equal(s.types.get("eddy_invocation_duration_seconds"), "histogram");
      assertHistogram(s, "eddy_invocation_duration_seconds", { function_type: "test/router" }, routerMessages + 2);
      assertHistogram(s, "eddy_store_commit_duration_seconds", {}, routerMessages + sends);

      assert.equal(s.value("eddy_egress_records_total", { egress: "test/out" }), routerMessages);
      assert.equal(out.records.length, routerMessages);
      assert.equal(s.value("eddy_ingress_messages_total", { ingress: PLAYGROUND_INGRESS_ID }), 2);
      assert.equal(s.value("eddy_pending_messages"), 0);
      assert.equal(s.value("eddy_quarantined_addresses"), 0);
    } finally {
      await runtime.stop();
    }
  });

  it("show the backlog of an address behind its invocation in flight", async () => {
    const runtime = new Runtime({ logger: silentLogger(), partitions: 2 });
    const release = deferred();
    let started = 0;
    runtime.bindFunction(
      defineFunction({
        typename: "test/slow",
        async fn() {
          started++;
          await release.promise;
        },
      }),
    );
    await runtime.start();
    try {
      const target = address("test/slow", "x");
      await runtime.send(target, { typename: Types.string.typename, value: Types.string.serialize("1") });
      await until(() => started === 1, "the first invocation");
      for (let i = 0; i < 3; i++) await runtime.send(target, { typename: Types.string.typename, value: Types.string.serialize("n") });
      // The three wait in the mailbox (or the partition log) while the first is in flight.
      await until(() => runtime.backlogByFunctionType().get("test/slow") === 3, "the backlog");
      const s = await scrape(runtime);
      assert.equal(s.value("eddy_address_backlog", { function_type: "test/slow" }), 3);
      assert.equal(s.value("eddy_pending_messages"), 4);
      release.resolve();
      await runtime.idle();
      const after = await scrape(runtime);
      assert.equal(after.value("eddy_address_backlog", { function_type: "test/slow" }), 0);
      assert.equal(after.value("eddy_messages_total", { function_type: "test/slow", direction: "in" }), 4);
    } finally {
      await runtime.stop();
    }
  });

  it("show a remote endpoint's requests in flight and its concurrency limit", async () => {
    const gate = deferred();
    let calls = 0;
    const remote = defineFunction({
      typename: "test/remote",
      async fn() {
        calls++;
        await gate.promise;
      },
    });
    const server = createServer(nodeHttpHandler([remote]));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const pools = new EndpointPools();
    const runtime = new Runtime({ logger: silentLogger(), partitions: 2 });
    runtime.bindInvoker("test/remote", (functionType) =>
      remoteInvoker({ functionType, url: `${origin}/statefun`, transport: { type: "async", poolSize: 8 }, pools, logger: silentLogger() }),
    );
    runtime.reportEndpoints(() => pools.concurrency());
    await runtime.start();
    try {
      for (const id of ["a", "b", "c"]) await runtime.send(address("test/remote", id), { typename: Types.string.typename, value: Types.string.serialize(id) });
      await until(() => calls === 3, "three calls at the remote function", 100_000);
      const s = await scrape(runtime);
      assert.equal(s.value("eddy_remote_in_flight_requests", { endpoint: origin }), 3);
      assert.equal(s.value("eddy_remote_concurrency_limit", { endpoint: origin }), 8);
      gate.resolve();
      await runtime.idle();
      assert.equal((await scrape(runtime)).value("eddy_remote_in_flight_requests", { endpoint: origin }), 0);
    } finally {
      await runtime.stop();
      await pools.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe("GET /metrics on the admin port", () => {
  it("answers the Prometheus text of the running runtime, and /v1/functions the same counts as JSON", async () => {
    const runtime = new Runtime({ logger: silentLogger(), partitions: 2 });
    runtime.bindFunction(defineFunction({ typename: "test/echo", fn: () => undefined }));
    const admin = createRuntimeAdmin(runtime, { port: 0, logger: silentLogger() });
    await admin.start();
    await runtime.start();
    try {
      for (let i = 0; i < 7; i++) await runtime.send(address("test/echo", `e${i}`), { typename: Types.string.typename, value: Types.string.serialize("x") });
      await runtime.idle();
      const res = await fetch(`${admin.url}/metrics`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
      const s = parsePrometheusText(await res.text());
      assert.equal(s.value("eddy_messages_total", { function_type: "test/echo", direction: "in" }), 7);
      assert.equal(s.value("eddy_function_invocations_total", { function_type: "test/echo" }), 7);
      const json = (await (await fetch(`${admin.url}/v1/functions`)).json()) as { functions: { functionType: string; messagesIn: number; failures: number }[] };
      assert.deepEqual(
        json.functions.map((f) => [f.functionType, f.messagesIn, f.failures]),
        [["test/echo", 7, 0]],
      );
      const openapi = (await (await fetch(`${admin.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
      assert.ok("/metrics" in openapi.paths && "/v1/functions" in openapi.paths && "/v1/io" in openapi.paths);
    } finally {
      await runtime.stop();
      await admin.stop();
    }
  });
});
