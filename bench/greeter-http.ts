import { spawn } from "node:child_process";
import { PLAYGROUND_EGRESS_ID, PlaygroundEgressRecordType } from "@eddy/sdk";
import type { TypedValue } from "@eddy/sdk";
import type { StateStore } from "@eddy/runtime";
import { PlaygroundEgress, PlaygroundIngress, Runtime, silentLogger } from "@eddy/runtime";
import { greeter } from "../examples/greeter/greeter.js";
import { percentile } from "./stats.js";
import type { BenchRuntimeOptions } from "./greeter-in-process.js";

export interface HttpResult {
  readonly requests: number;
  readonly failed: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  readonly ingressToEgressP50Ms: number;
  readonly ingressToEgressP99Ms: number;
  readonly requestP50Ms: number;
  readonly requestP99Ms: number;
  readonly peakRssMb: number;
}

/**
 * (b) The embedded greeter behind the playground ingress, driven over real
 * HTTP by a separate load process with `concurrency` keep-alive connections.
 */
export async function benchGreeterHttp(
  keys: number,
  concurrency: number,
  durationMs: number,
  store?: StateStore,
  options: BenchRuntimeOptions & { readonly requestReply?: boolean } = {},
): Promise<HttpResult> {
  const runtime = new Runtime({ logger: silentLogger(), ...options.runtime, ...(store === undefined ? {} : { store }) });
  // With requestReply every request is a POST that waits for the greeter's reply (docs/request-reply.md).
  const requestReply = options.requestReply === true;
  const ingress = new PlaygroundIngress({ port: 0, ...(requestReply ? { requestReply: { timeoutMs: 30_000 } } : {}) });
  const playground = new PlaygroundEgress({ port: 0, topics: ["greetings"] });
  const latencies: number[] = [];
  runtime.bindFunction(greeter);
  runtime.bindIngress(ingress);
  runtime.bindEgress({
    id: PLAYGROUND_EGRESS_ID,
    check: (record) => playground.check(record),
    deliver(records: readonly TypedValue[]) {
      const now = performance.timeOrigin + performance.now();
      for (const r of records) {
        const { payload } = PlaygroundEgressRecordType.deserialize(r.value!);
        const at = /@(\d+\.\d+)/.exec(payload);
        if (at !== null) latencies.push(now - Number(at[1]));
      }
    },
    describe: () => "latency-measuring playground egress",
  });
  await runtime.start();
  const stopExtra = options.whileRunning === undefined ? undefined : await options.whileRunning(runtime);

  let peakRss = process.memoryUsage.rss();
  const rssTimer = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 50);
  const started = performance.now();
  const client = spawn(
    process.execPath,
    ["--conditions=eddy-source", "--import", "tsx", new URL("./load-client.ts", import.meta.url).pathname, String(ingress.port), String(keys), String(concurrency), String(durationMs), requestReply ? "POST" : "PUT"],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let out = "";
  client.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => client.on("close", resolve));
  const seconds = (performance.now() - started) / 1000;
  await runtime.idle();
  await stopExtra?.();
  clearInterval(rssTimer);
  await runtime.stop();
  if (code !== 0) throw new Error(`load client exited with ${code}; its output: ${out}`);
  const result = JSON.parse(out) as { ok: number; failed: number; requestP50Ms: number; requestP99Ms: number };
  latencies.sort((a, b) => a - b);
  return {
    requests: result.ok,
    failed: result.failed,
    seconds,
    // The client's own start-up (tsx) is inside `seconds`; count only its measuring window.
    requestsPerSecond: result.ok / (durationMs / 1000),
    ingressToEgressP50Ms: percentile(latencies, 0.5),
    ingressToEgressP99Ms: percentile(latencies, 0.99),
    requestP50Ms: result.requestP50Ms,
    requestP99Ms: result.requestP99Ms,
    peakRssMb: peakRss / 1024 / 1024,
  };
}
