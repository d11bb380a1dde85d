/**
 * (i) Admin requests while the runtime is saturated with in-process work.
 * Another process asks GET /healthz and GET /v1/quarantine in turn every
 * 10 ms and reports the latency it saw: against an idle runtime (the
 * baseline), then under two embedded workloads with no I/O of their own:
 * - flood: 8 producers put 1,024-message batches for 1,000 addresses into
 *   the log as fast as it takes them (every address always has a backlog);
 * - relay: 1,000 chains of messages, each address passing a message on to
 *   the next until its hops run out.
 */
import { address, defineFunction, jsonType, message, Types } from "@eddy/sdk";
import { createRuntimeAdmin, Runtime, silentLogger } from "@eddy/runtime";
import { startPollingClient } from "./polling-client.js";
import type { PollingReport } from "./polling-client.js";

export type AdminLatency = PollingReport;

export interface AdminLatencyResult {
  readonly idle: AdminLatency;
  readonly flood: AdminLatency & { readonly invocationsPerSecond: number };
  readonly relay: AdminLatency & { readonly invocationsPerSecond: number };
}

const Hops = jsonType<number>("bench/Hops");
const KEYS = 1000;

/** A runtime with the relay function and its admin API; `run` resolves once `total` invocations ran. */
async function relayRuntime(total: number) {
  let invoked = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => (done = resolve));
  const runtime = new Runtime({ logger: silentLogger() });
  runtime.bindFunction(
    defineFunction({
      typename: "bench/relay",
      state: { seen: Types.int },
      fn(ctx, msg) {
        ctx.storage.seen = (ctx.storage.seen ?? 0) + 1;
        if (++invoked === total) done();
        const left = msg.as(Hops);
        if (left > 1) ctx.send(message({ to: address("bench/relay", String((Number(ctx.self.id) + 1) % KEYS)), value: left - 1, type: Hops }));
      },
    }),
  );
  const admin = createRuntimeAdmin(runtime, { port: 0, logger: silentLogger() });
  await admin.start();
  await runtime.start();
  return {
    runtime,
    finished,
    urls: [`${admin.url}/healthz`, `${admin.url}/v1/quarantine`],
    async stop() {
      await runtime.stop();
      await admin.stop();
    },
  };
}

async function measure(total: number, load: (runtime: Runtime) => Promise<void>): Promise<AdminLatency & { invocationsPerSecond: number }> {
  const r = await relayRuntime(total);
  try {
    const client = await startPollingClient(r.urls, 10);
    const started = performance.now();
    await load(r.runtime);
    await r.finished;
    const seconds = (performance.now() - started) / 1000;
    return { ...(await client()), invocationsPerSecond: total / seconds };
  } finally {
    await r.stop();
  }
}

export async function benchAdminLatency(quick: boolean): Promise<AdminLatencyResult> {
  const floodMessages = quick ? 200_000 : 1_000_000;
  const hops = quick ? 200 : 1000;
  const idleRuntime = await relayRuntime(1);
  let idle: AdminLatency;
  try {
    const client = await startPollingClient(idleRuntime.urls, 10);
    // 100 requests against a runtime with nothing to do.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    idle = await client();
  } finally {
    await idleRuntime.stop();
  }
  const flood = await measure(floodMessages, async (runtime) => {
    const targets = Array.from({ length: KEYS }, (_, k) => address("bench/relay", String(k)));
    const one = { typename: Hops.typename, value: Hops.serialize(1) };
    let next = 0;
    const produce = async () => {
      while (next < floodMessages) {
        const start = next;
        next = Math.min(floodMessages, next + 1024);
        const batch = [];
        for (let i = start; i < next; i++) batch.push({ target: targets[i % KEYS]!, argument: one });
        await runtime.accept(batch);
      }
    };
    await Promise.all(Array.from({ length: 8 }, produce));
  });
  const relay = await measure(KEYS * hops, async (runtime) => {
    const value = { typename: Hops.typename, value: Hops.serialize(hops) };
    for (let k = 0; k < KEYS; k++) await runtime.send(address("bench/relay", String(k)), value);
  });
  return { idle, flood, relay };
}
