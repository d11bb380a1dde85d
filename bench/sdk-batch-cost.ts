/**
 * (c1) What the official StateFun JS SDK's server costs per message as a
 * function of the batch size: the physical bound of the remote rows (c)–(c3)
 * on this machine, without the runtime in the way.
 *
 * A driver in this process POSTs ToFunction requests, encoded with the same
 * codec the runtime uses, to compat/js/server.js (apache-flink-statefun 3.3.0)
 * over real HTTP: for each batch size, pairs of requests that carry `size`
 * invocations to example/person (with its `visits` state) and `size` to
 * example/greeter, the two invocations one ingress message of the bench makes.
 * The figure is the server process's CPU time (from /proc) per message
 * (= one person + one greeter invocation), steadier than a rate on a shared
 * machine. 10^6 / that figure is the most messages per second one core running
 * the SDK server can take at that batch size.
 */
import { Agent, request } from "node:http";
import { address, decodeBatchOutcome, encodeInvocationBatch, Types } from "@eddy/sdk";
import type { InvocationBatch } from "@eddy/sdk";
import { processCpuMs, startServer } from "./bench-processes.js";
import { ensureJsSdk, JS_SDK_SERVER } from "./js-sdk.js";
import { freePort } from "../packages/runtime/test/support/local-servers.js";

export interface SdkBatchCost {
  /** Invocations per request. */
  readonly batch: number;
  /** The SDK server's CPU time per message (one person + one greeter invocation), µs. */
  readonly serverCpuUsPerMessage: number;
  /** 10^6 / serverCpuUsPerMessage: messages/s one core of the SDK server could take. */
  readonly boundPerCore: number;
  /** Messages/s the driver reached (its own CPU and the machine's load included). */
  readonly messagesPerSecond: number;
}

/** Requests in flight at once: enough to keep the single-threaded server busy, as the runtime's limit settles at. */
const IN_FLIGHT = 4;
const KEYS = 100;

function batches(size: number): Buffer[] {
  const json = (k: number, visits?: number) => new TextEncoder().encode(JSON.stringify(visits === undefined ? { name: `key-${k}` } : { name: `key-${k}`, visits }));
  const out: Buffer[] = [];
  for (let k = 0; k < KEYS; k++) {
    const person: InvocationBatch = {
      target: address("example/person", `key-${k}`),
      states: [{ name: "visits", value: { typename: Types.int.typename, value: Types.int.serialize(k) } }],
      invocations: Array.from({ length: size }, () => ({ caller: undefined, argument: { typename: "example/GreetRequest", value: json(k) } })),
    };
    const greeter: InvocationBatch = {
      target: address("example/greeter", `key-${k}`),
      states: [],
      invocations: Array.from({ length: size }, (_, i) => ({
        caller: address("example/person", `key-${k}`),
        argument: { typename: "example/GreetRequest", value: json(k, k + i + 1) },
      })),
    };
    out.push(Buffer.from(encodeInvocationBatch(person)), Buffer.from(encodeInvocationBatch(greeter)));
  }
  return out;
}

function post(agent: Agent, port: number, body: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { agent, host: "127.0.0.1", port, path: "/statefun", method: "POST", headers: { "content-type": "application/octet-stream", "content-length": body.length } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`SDK server answered ${res.statusCode}`))));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** Sends `requests` requests from `bodies` round robin, IN_FLIGHT at a time. */
async function drive(agent: Agent, port: number, bodies: readonly Buffer[], requests: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < requests) {
        const body = bodies[next++ % bodies.length]!;
        const answer = await post(agent, port, body);
        const outcome = decodeBatchOutcome(answer);
        if (outcome.kind !== "completed") throw new Error(`the SDK server answered ${outcome.kind} for a batch the bench built complete`);
      }
    }),
  );
}

/** Each batch size measured over about `messagesPerSize` messages (rounded to whole request pairs, at least 100 pairs). */
export async function benchSdkBatchCost(sizes: readonly number[], messagesPerSize: number): Promise<SdkBatchCost[]> {
  ensureJsSdk();
  const port = await freePort();
  const server = await startServer([JS_SDK_SERVER], { env: { PORT: String(port) }, ready: /READY/u });
  const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  try {
    const pid = server.child.pid;
    // Warm-up: the SDK's and V8's first calls (JIT, lazy protobuf classes) at every size.
    for (const size of sizes) await drive(agent, port, batches(size), 2 * Math.max(10, Math.round(1000 / size)));
    const results: SdkBatchCost[] = [];
    for (const size of sizes) {
      const bodies = batches(size);
      const pairs = Math.max(100, Math.round(messagesPerSize / size));
      const cpuStart = processCpuMs(pid);
      const started = performance.now();
      await drive(agent, port, bodies, 2 * pairs);
      const seconds = (performance.now() - started) / 1000;
      const messages = pairs * size;
      const us = ((processCpuMs(pid) - cpuStart) * 1000) / messages;
      results.push({ batch: size, serverCpuUsPerMessage: us, boundPerCore: 1e6 / us, messagesPerSecond: messages / seconds });
    }
    return results;
  } finally {
    agent.destroy();
    await server.stop();
  }
}
