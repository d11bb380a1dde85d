/**
 * (c) the playground's two-function greeter (example/person → example/greeter
 * → playground egress) served by the official StateFun JavaScript SDK
 * (compat/js/server.js) over HTTP, with a plain node:http echo measured by the
 * same client for comparison; (d) Eddy's embedded greeter served co-located
 * (examples/colocated-greeter) over a Unix socket. Same load in both: a
 * separate client process, `concurrency` keep-alive connections, PUTs spread
 * over `keys` keys.
 *
 * End-to-end latency. The SDK's greeting cannot carry a client timestamp
 * (its text is fixed), so the runtime side pairs each greeting with the
 * ingress message that caused it, by key and sequence number: a wrapping
 * IngressSink records, per key, the time each message was accepted into the
 * log; the greeting names the key and the visit count, and since one key's
 * messages are processed strictly in log order, the n-th greeting for a key
 * belongs to the n-th accepted message for it. Latency = egress delivery time −
 * that accept time (ingress accept → egress, the HTTP request time of the
 * ingress excluded; the client's own request p50/p99 are reported too). (d)
 * uses the same method so (c) and (d) compare directly; (b) measures client
 * send → egress instead.
 *
 * Remote requests and batch size. Each invoker the runtime creates is wrapped
 * here, in the benchmark, to count requests (one per batch) and invocations:
 * no production hook, no proxy hop that would cost CPU on this small machine
 * and distort the figures; the HTTP between runtime and SDK stays real.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { PLAYGROUND_EGRESS_ID, PlaygroundEgressRecordType } from "@eddy/sdk";
import type { RoutedMessage, TypedValue } from "@eddy/sdk";
import type { FunctionInvoker, Ingress, IngressSink } from "@eddy/runtime";
import { EndpointPools, LmdbStateStore, loadModuleFile, PlaygroundEgress, PlaygroundIngress, remoteInvoker, Runtime, silentLogger } from "@eddy/runtime";
import { ColocatedProcess, functionUrl } from "@eddy/runtime";
import { ECHO_SERVER_SOURCE, processCpuMs, runLoad, startServer, threadCpuMs } from "./bench-processes.js";
import type { LoadConfig, LoadResult } from "./bench-processes.js";
import { percentile } from "./stats.js";
import { ensureJsSdk, JS_SDK_SERVER } from "./js-sdk.js";
import { freePort } from "../packages/runtime/test/support/local-servers.js";

const root = new URL("..", import.meta.url).pathname;


export interface EndToEndResult {
  /** Greetings delivered per second, first ingress accept to last delivery. */
  readonly messagesPerSecond: number;
  readonly delivered: number;
  readonly unmatched: number;
  readonly ingressToEgressP50Ms: number;
  readonly ingressToEgressP99Ms: number;
  readonly requestP50Ms: number;
  readonly requestP99Ms: number;
  readonly failedRequests: number;
  readonly remoteRequestsPerSecond: number;
  readonly meanBatchSize: number;
  /** Remote requests per ingress message (each ingress message makes one invocation per function of the chain). */
  readonly requestsPerMessage: number;
  /** CPU time (user + system) of the runtime's process per delivered message, in microseconds. */
  readonly runtimeCpuUsPerMessage: number;
  /**
   * The same for the runtime's main thread alone (its event loop: the one
   * thread every partition shares, and so the bottleneck of one process);
   * NaN where /proc has no schedstat.
   */
  readonly runtimeMainThreadCpuUsPerMessage: number;
  /** Which store the runtime committed to. */
  readonly store: "memory" | "lmdb";
  /**
   * Share of the machine's cores each process used over the load window (CPU
   * seconds per second; 2 = both cores of this box): the runtime, the function
   * server (NaN when it is not measured) and the load client.
   */
  readonly runtimeCores: number;
  readonly functionServerCores: number;
  readonly loadClientCores: number;
  /** The function server's CPU time per delivered message, in microseconds. */
  readonly functionServerCpuUsPerMessage: number;
  /**
   * Where the ingress acknowledgement's time goes: from the ingress handing a
   * message to the runtime to its acceptance (durable, with the LMDB store),
   * and the runtime's event-loop delay over the load window (a stall delays
   * every acknowledgement waiting behind it); p50 / p99, ms.
   */
  readonly acceptP50Ms: number;
  readonly acceptP99Ms: number;
  readonly eventLoopDelayP50Ms: number;
  readonly eventLoopDelayP99Ms: number;
}

export interface EchoResult {
  readonly requestsPerSecond: number;
  readonly requestP50Ms: number;
  readonly requestP99Ms: number;
  /** Cores the echo server and the load client used (CPU seconds per second). */
  readonly serverCores: number;
  readonly clientCores: number;
  /** CPU time per request of the echo server and of the load client, µs: the floor of an ingress's HTTP hop and of its sender. */
  readonly serverCpuUsPerRequest: number;
  readonly clientCpuUsPerRequest: number;
}

/** Turns a greeting into (key, 1-based visit number), or undefined for another text. */
type GreetingParser = (text: string) => { key: string; visit: number } | undefined;

/** compat/js/server.js's texts (the playground's JS greeter). */
const parseSdkGreeting: GreetingParser = (text) => {
  let m = /^Welcome (\S+)$/u.exec(text);
  if (m !== null) return { key: m[1]!, visit: 1 };
  m = /^Nice to see you again (\S+)$/u.exec(text);
  if (m !== null) return { key: m[1]!, visit: 2 };
  m = /^Third time is a charm (\S+)$/u.exec(text);
  if (m !== null) return { key: m[1]!, visit: 3 };
  m = /^Nice to see you at the (\d+)-nth time (\S+)!$/u.exec(text);
  if (m !== null) return { key: m[2]!, visit: Number(m[1]) };
  return undefined;
};

/** examples/greeter's texts (greetText). */
const parseEddyGreeting: GreetingParser = (text) => {
  let m = /^Hello (\S+) ! 😎$/u.exec(text);
  if (m !== null) return { key: m[1]!, visit: 1 };
  m = /^Hello again (\S+) ! 🤗$/u.exec(text);
  if (m !== null) return { key: m[1]!, visit: 2 };
  m = /^Third time is a charm! (\S+)! 🥳$/u.exec(text);
  if (m !== null) return { key: m[1]!, visit: 3 };
  m = /^Happy to see you once again (\S+) ! 😲$/u.exec(text);
  if (m !== null) return { key: m[1]!, visit: 4 };
  m = /^Hello at the (\d+)-th time (\S+) 🙌$/u.exec(text);
  if (m !== null) return { key: m[2]!, visit: Number(m[1]) };
  return undefined;
};

/** A runtime with a measuring ingress and egress around the playground ones, and counting invokers. */
class MeasuredRuntime {
  readonly runtime: Runtime;
  readonly #storeKind: "memory" | "lmdb";
  readonly #dataDir: string | undefined;
  readonly ingress = new PlaygroundIngress({ port: 0 });
  readonly pools = new EndpointPools();
  requests = 0;
  invocations = 0;
  firstAccept = Number.POSITIVE_INFINITY;
  lastDelivery = 0;
  delivered = 0;
  unmatched = 0;
  latencies: number[] = [];
  acceptMs: number[] = [];
  readonly #loopDelay = monitorEventLoopDelay({ resolution: 2 });
  #cpuStart: NodeJS.CpuUsage = process.cpuUsage();
  #mainThreadCpuStartMs = Number.NaN;
  #mainThreadCpuMs = Number.NaN;
  #cpu: NodeJS.CpuUsage = { user: 0, system: 0 };
  #wallMs = 0;
  #serverCpuMs = Number.NaN;

  /** Forgets what the warm-up measured (JIT, connections, lazy state registration); visit matching carries on. */
  resetStats(): void {
    this.requests = 0;
    this.invocations = 0;
    this.firstAccept = Number.POSITIVE_INFINITY;
    this.lastDelivery = 0;
    this.delivered = 0;
    this.unmatched = 0;
    this.latencies = [];
    this.acceptMs = [];
    this.#loopDelay.reset();
  }
  readonly #acceptedAt = new Map<string, number[]>();

  constructor(entryType: string, parse: GreetingParser, options: { durable?: boolean } = {}) {
    this.#storeKind = options.durable === true ? "lmdb" : "memory";
    this.#dataDir = options.durable === true ? mkdtempSync(join(tmpdir(), "eddy-bench-remote-")) : undefined;
    this.runtime = new Runtime({
      logger: silentLogger(),
      ...(this.#dataDir === undefined ? {} : { store: new LmdbStateStore({ path: this.#dataDir }) }),
    });
    const playground = new PlaygroundEgress({ port: 0, topics: ["greetings"] });
    const ingress = this.ingress;
    const measuring: Ingress = {
      id: ingress.id,
      start: (sink: IngressSink) =>
        ingress.start({
          accept: (messages: readonly RoutedMessage[]) => {
            const now = performance.now();
            this.firstAccept = Math.min(this.firstAccept, now);
            for (const m of messages) {
              if (m.target.type !== entryType) continue;
              const times = this.#acceptedAt.get(m.target.id);
              if (times === undefined) this.#acceptedAt.set(m.target.id, [now]);
              else times.push(now);
            }
            const accepting = sink.accept(messages);
            void accepting.then(() => this.acceptMs.push(performance.now() - now), () => undefined);
            return accepting;
          },
          position: (id, partition) => sink.position(id, partition),
          checkTarget: (target, argument) => sink.checkTarget(target, argument),
        }),
      stop: () => ingress.stop(),
      describe: () => ingress.describe(),
    };
    this.runtime.bindIngress(measuring);
    this.runtime.bindEgress({
      id: PLAYGROUND_EGRESS_ID,
      check: (record) => playground.check(record),
      deliver: (records: readonly TypedValue[]) => {
        const now = performance.now();
        this.lastDelivery = now;
        for (const r of records) {
          this.delivered++;
          const greeting = parse(PlaygroundEgressRecordType.deserialize(r.value!).payload);
          const acceptedAt = greeting === undefined ? undefined : this.#acceptedAt.get(greeting.key)?.[greeting.visit - 1];
          if (acceptedAt === undefined) this.unmatched++;
          else this.latencies.push(now - acceptedAt);
        }
      },
      describe: () => "measuring playground egress",
    });
    this.runtime.onStop(() => this.pools.close());
  }

  /**
   * Starts the runtime, warms it up (the first seconds measure JIT compilation
   * and connection set-up, not Eddy), then measures one load run and stops.
   */
  async measure(load: Omit<LoadConfig, "port" | "ratePerSecond"> & { ratePerSecond: number | undefined }, serverPid?: number): Promise<EndToEndResult> {
    await this.runtime.start();
    const { ratePerSecond, ...rest } = load;
    const config: LoadConfig = { ...rest, port: this.ingress.port, ...(ratePerSecond === undefined ? {} : { ratePerSecond }) };
    await runLoad({ ...config, durationMs: WARM_UP_MS });
    await this.runtime.idle();
    this.#loopDelay.enable();
    this.resetStats();
    this.#cpuStart = process.cpuUsage();
    this.#mainThreadCpuStartMs = threadCpuMs(process.pid, process.pid);
    const wallStart = performance.now();
    const serverCpuStart = processCpuMs(serverPid);
    const sampler = process.env["BENCH_DEBUG"] === "1" ? setInterval(() => {
      const backlog = [...this.runtime.backlogByFunctionType().values()].reduce((a, b) => a + b, 0);
      process.stderr.write(`pending=${this.runtime.pendingMessages} backlog=${backlog} endpoints=${JSON.stringify(this.pools.concurrency())} req=${this.requests} inv=${this.invocations}\n`);
    }, 250) : undefined;
    const result = await runLoad(config);
    this.#loopDelay.disable();
    clearInterval(sampler);
    await this.runtime.idle();
    this.#cpu = process.cpuUsage(this.#cpuStart);
    this.#mainThreadCpuMs = threadCpuMs(process.pid, process.pid) - this.#mainThreadCpuStartMs;
    this.#wallMs = performance.now() - wallStart;
    this.#serverCpuMs = processCpuMs(serverPid) - serverCpuStart;
    await this.runtime.stop();
    if (this.#dataDir !== undefined) rmSync(this.#dataDir, { recursive: true, force: true });
    return this.result(result);
  }

  /** Wraps an invoker to count requests (batches) and the invocations in them. */
  counting(inner: FunctionInvoker): FunctionInvoker {
    return {
      ...inner,
      invoke: (batch) => {
        this.requests++;
        this.invocations += batch.invocations.length;
        return inner.invoke(batch);
      },
    };
  }

  result(load: LoadResult): EndToEndResult {
    const seconds = Math.max(1e-9, (this.lastDelivery - this.firstAccept) / 1000);
    this.latencies.sort((a, b) => a - b);
    this.acceptMs.sort((a, b) => a - b);
    return {
      messagesPerSecond: this.delivered / seconds,
      delivered: this.delivered,
      unmatched: this.unmatched,
      ingressToEgressP50Ms: percentile(this.latencies, 0.5),
      ingressToEgressP99Ms: percentile(this.latencies, 0.99),
      requestP50Ms: load.requestP50Ms,
      requestP99Ms: load.requestP99Ms,
      failedRequests: load.failed,
      remoteRequestsPerSecond: this.requests / seconds,
      meanBatchSize: this.requests === 0 ? 0 : this.invocations / this.requests,
      requestsPerMessage: this.delivered === 0 ? 0 : this.requests / this.delivered,
      runtimeCpuUsPerMessage: this.delivered === 0 ? 0 : (this.#cpu.user + this.#cpu.system) / this.delivered,
      runtimeMainThreadCpuUsPerMessage: this.delivered === 0 ? 0 : (this.#mainThreadCpuMs * 1000) / this.delivered,
      store: this.#storeKind,
      runtimeCores: (this.#cpu.user + this.#cpu.system) / 1000 / this.#wallMs,
      functionServerCores: this.#serverCpuMs / this.#wallMs,
      loadClientCores: load.cpuMs / load.wallMs,
      functionServerCpuUsPerMessage: this.delivered === 0 ? 0 : (this.#serverCpuMs * 1000) / this.delivered,
      acceptP50Ms: percentile(this.acceptMs, 0.5),
      acceptP99Ms: percentile(this.acceptMs, 0.99),
      eventLoopDelayP50Ms: this.#loopDelay.percentile(50) / 1e6,
      eventLoopDelayP99Ms: this.#loopDelay.percentile(99) / 1e6,
    };
  }
}

const WARM_UP_MS = 1500;

/** The plain node:http echo, same client and concurrency: what one HTTP hop costs on this machine. */
export async function benchHttpEcho(keys: number, concurrency: number, durationMs: number): Promise<EchoResult> {
  const echo = await startServer(["-e", ECHO_SERVER_SOURCE], { ready: /READY (\d+)/u });
  try {
    const port = Number(/READY (\d+)/u.exec(echo.output)?.[1]);
    const serverCpuStart = processCpuMs(echo.child.pid);
    const load = await runLoad({
      port,
      path: "/echo/{key}",
      contentType: "application/json",
      body: '{"name":"{key}"}',
      keys,
      concurrency,
      durationMs,
    });
    const serverCpuMs = processCpuMs(echo.child.pid) - serverCpuStart;
    const requests = Math.max(1, load.ok + load.failed);
    return {
      requestsPerSecond: load.ok / (durationMs / 1000),
      requestP50Ms: load.requestP50Ms,
      requestP99Ms: load.requestP99Ms,
      serverCores: serverCpuMs / load.wallMs,
      clientCores: load.cpuMs / load.wallMs,
      serverCpuUsPerRequest: (serverCpuMs * 1000) / requests,
      clientCpuUsPerRequest: (load.cpuMs * 1000) / requests,
    };
  } finally {
    await echo.stop();
  }
}

export interface IngressAloneResult {
  readonly requestsPerSecond: number;
  readonly requestP50Ms: number;
  readonly requestP99Ms: number;
  /** This process's CPU time per request, and its main thread's alone (µs). */
  readonly cpuUsPerRequest: number;
  readonly mainThreadCpuUsPerRequest: number;
}

/**
 * The playground ingress alone, in this process, with a sink that accepts
 * every message at once (no log, no store, no processing): what its HTTP
 * handling costs the runtime's main thread per request, to compare with the
 * plain echo's server in the same minutes (docs/performance.md, section 9).
 */
export async function benchIngressAlone(keys: number, concurrency: number, durationMs: number): Promise<IngressAloneResult> {
  const ingress = new PlaygroundIngress({ port: 0 });
  let accepted = 0;
  await ingress.start({
    accept: (messages) => {
      accepted += messages.length;
      return Promise.resolve();
    },
    position: () => undefined,
    checkTarget: () => undefined,
  });
  try {
    const config = { port: ingress.port, path: "/example/person/{key}", contentType: "application/vnd.example/GreetRequest", body: '{"name":"{key}"}', keys, concurrency };
    await runLoad({ ...config, durationMs: WARM_UP_MS });
    const before = accepted;
    const cpuStart = process.cpuUsage();
    const mainStart = threadCpuMs(process.pid, process.pid);
    const load = await runLoad({ ...config, durationMs });
    const cpu = process.cpuUsage(cpuStart);
    const mainMs = threadCpuMs(process.pid, process.pid) - mainStart;
    const requests = Math.max(1, accepted - before);
    return {
      requestsPerSecond: load.ok / (durationMs / 1000),
      requestP50Ms: load.requestP50Ms,
      requestP99Ms: load.requestP99Ms,
      cpuUsPerRequest: (cpu.user + cpu.system) / requests,
      mainThreadCpuUsPerRequest: (mainMs * 1000) / requests,
    };
  } finally {
    await ingress.stop();
  }
}

/** (c) example/person → example/greeter → egress, both functions in the official JS SDK's server. */
export async function benchJsSdkRemote(keys: number, concurrency: number, durationMs: number, ratePerSecond?: number, options: { durable?: boolean } = {}): Promise<EndToEndResult> {
  ensureJsSdk();
  const port = await freePort();
  const server = await startServer([JS_SDK_SERVER], { env: { PORT: String(port) }, ready: /READY/u });
  const measured = new MeasuredRuntime("example/person", parseSdkGreeting, options);
  const logger = measured.runtime.logger;
  measured.runtime.bindInvoker("example/*", (functionType) =>
    measured.counting(
      remoteInvoker({
        functionType,
        url: `http://127.0.0.1:${port}/statefun`,
        transport: { type: "async" },
        pools: measured.pools,
        logger,
      }),
    ),
  );
  try {
    return await measured.measure({ path: "/example/person/{key}", contentType: "application/vnd.example/GreetRequest", body: '{"name":"{key}"}', keys, concurrency, durationMs, ratePerSecond }, server.child.pid);
  } finally {
    await server.stop();
  }
}

/** (d) examples/greeter's function served by examples/colocated-greeter over a Unix socket. */
export async function benchColocated(keys: number, concurrency: number, durationMs: number, ratePerSecond?: number): Promise<EndToEndResult> {
  const config = await loadModuleFile(`${root}examples/colocated-greeter/module.yaml`);
  const component = config.components.find((c) => c.kind === "io.eddy.functions.v1/colocated");
  if (component?.kind !== "io.eddy.functions.v1/colocated") throw new Error("examples/colocated-greeter has no colocated component");
  // The bench runs from sources; so must the child's @eddy/sdk.
  const spec = { ...component.spec, env: { ...component.spec.env, NODE_OPTIONS: "--conditions=eddy-source" } };
  const measured = new MeasuredRuntime("apache/greeter", parseEddyGreeting);
  const logger = measured.runtime.logger;
  const supervisor = new ColocatedProcess({ spec, logger });
  measured.runtime.bindInvoker(spec.functions.text, (functionType) =>
    measured.counting(
      remoteInvoker({
        functionType,
        url: supervisor.url(functionUrl(spec.urlPathTemplate, functionType)),
        maxBacklog: spec.maxNumBatchRequests,
        transport: { type: "async", callMs: spec.call },
        pools: measured.pools,
        logger,
      }),
    ),
  );
  await supervisor.start();
  try {
    return await measured.measure({ path: "/apache/greeter/{key}", contentType: "application/vnd.apache/GreetRequest", body: '{"who":"{key}"}', keys, concurrency, durationMs, ratePerSecond });
  } finally {
    await supervisor.stop();
  }
}
