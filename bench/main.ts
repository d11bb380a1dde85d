/**
 * `npm run bench`: Eddy's speed and memory figures. Prints a table and writes
 * the JSON summary to bench/results/latest.json. Set BENCH_QUICK=1 for a short
 * smoke run. Compare ratios within one run: the machine is small and noisy.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { benchGreeterInProcess } from "./greeter-in-process.js";
import { benchGreeterHttp } from "./greeter-http.js";
import { benchColocated, benchHttpEcho, benchIngressAlone, benchJsSdkRemote } from "./greeter-remote.js";
import type { EndToEndResult } from "./greeter-remote.js";

const quick = process.env["BENCH_QUICK"] === "1";
const keys = 1000;

function row(name: string, value: string, target: string): void {
  process.stdout.write(`${name.padEnd(52)} ${value.padStart(14)}   ${target}\n`);
}

process.stdout.write(`Eddy benchmarks (node ${process.version}, ${quick ? "quick" : "full"} run)\n\n`);
process.stdout.write("(a) embedded greeter, in-process, 1,000 keys\n");
await benchGreeterInProcess(20_000, keys); // warm-up: JIT and allocation paths
const inProcess = await benchGreeterInProcess(quick ? 100_000 : 1_000_000, keys);
row("  messages/s", Math.round(inProcess.messagesPerSecond).toLocaleString("en"), "target ≥ 200,000");

process.stdout.write("(b) embedded greeter via playground HTTP ingress, 64 clients, 1,000 keys\n");
const http = await benchGreeterHttp(keys, 64, quick ? 3_000 : 10_000);
row("  requests/s", Math.round(http.requestsPerSecond).toLocaleString("en"), "target ≥ 10,000");
row("  ingress→egress p50 ms", http.ingressToEgressP50Ms.toFixed(2), "");
row("  ingress→egress p99 ms", http.ingressToEgressP99Ms.toFixed(2), "target ≤ 20");
row("  HTTP request p50 / p99 ms", `${http.requestP50Ms.toFixed(2)} / ${http.requestP99Ms.toFixed(2)}`, "");
row("  failed requests", String(http.failed), "");
row("  peak RSS MB (runtime process)", http.peakRssMb.toFixed(0), "");

process.stdout.write("(b2) request/reply: every request a POST that waits for the greeter's reply, 64 clients, 1,000 keys\n");
const requestReply = await benchGreeterHttp(keys, 64, quick ? 3_000 : 10_000, undefined, { requestReply: true });
row("  requests/s (replies received)", Math.round(requestReply.requestsPerSecond).toLocaleString("en"), `PUT in (b): ${Math.round(http.requestsPerSecond).toLocaleString("en")}`);
row("  request → reply p50 / p99 ms", `${requestReply.requestP50Ms.toFixed(2)} / ${requestReply.requestP99Ms.toFixed(2)}`, "");
row("  failed requests", String(requestReply.failed), "");

function endToEndRows(r: EndToEndResult): void {
  row("  messages/s end to end", Math.round(r.messagesPerSecond).toLocaleString("en"), "");
  row("  ingress accept→egress p50 / p99 ms", `${r.ingressToEgressP50Ms.toFixed(2)} / ${r.ingressToEgressP99Ms.toFixed(2)}`, "");
  row("  ingress HTTP request p50 / p99 ms", `${r.requestP50Ms.toFixed(2)} / ${r.requestP99Ms.toFixed(2)}`, "");
  row("  remote requests/s", Math.round(r.remoteRequestsPerSecond).toLocaleString("en"), "");
  row("  mean batch size (invocations per request)", r.meanBatchSize.toFixed(2), "");
  row("  remote requests per message / runtime CPU µs per message", `${r.requestsPerMessage.toFixed(2)} / ${r.runtimeCpuUsPerMessage.toFixed(0)}`, "");
  row("  of it the runtime's main thread, CPU µs per message", r.runtimeMainThreadCpuUsPerMessage.toFixed(0), "the event loop every partition shares");
  row("  failed requests / unmatched greetings", `${r.failedRequests} / ${r.unmatched}`, "");
  const cores = (n: number) => (Number.isNaN(n) ? "—" : n.toFixed(2));
  row("  cores used: runtime / function server / load client", `${cores(r.runtimeCores)} / ${cores(r.functionServerCores)} / ${cores(r.loadClientCores)}`, "of 2");
  if (!Number.isNaN(r.functionServerCores)) row("  function server CPU µs per message", r.functionServerCpuUsPerMessage.toFixed(0), "");
}

process.stdout.write("(c0) one remote call's cost in the runtime: remoteInvoker against a server with a fixed answer, 16 in flight\n");
const { benchRemoteCall } = await import("./remote-call.js");
const remoteCall = await benchRemoteCall(quick ? 10_000 : 50_000);
row("  runtime CPU µs per call", remoteCall.cpuUsPerCall.toFixed(1), "");
row("  calls/s", Math.round(remoteCall.callsPerSecond).toLocaleString("en"), "");

process.stdout.write("(c1) the official JS SDK server alone: its CPU per message (one example/person + one example/greeter invocation) by batch size, real HTTP, 4 requests in flight\n");
const { benchSdkBatchCost } = await import("./sdk-batch-cost.js");
const sdkBatchCost = await benchSdkBatchCost([1, 2, 5, 10, 50], quick ? 1_000 : 10_000);
for (const c of sdkBatchCost) {
  row(`  batch ${c.batch}: SDK server CPU µs per message`, c.serverCpuUsPerMessage.toFixed(1), `≤ ${Math.round(c.boundPerCore).toLocaleString("en")} messages/s per core`);
}

const remoteMs = quick ? 3_000 : 10_000;
process.stdout.write("(c) greeter as remote functions served by the official JS SDK over HTTP, 64 clients, 1,000 keys, memory store\n");
const echo = await benchHttpEcho(keys, 64, quick ? 2_000 : 10_000);
row("  plain node:http echo, requests/s", Math.round(echo.requestsPerSecond).toLocaleString("en"), "same client, for comparison");
row("  plain node:http echo, p50 / p99 ms", `${echo.requestP50Ms.toFixed(2)} / ${echo.requestP99Ms.toFixed(2)}`, "");
row("  plain node:http echo, cores used: server / load client", `${echo.serverCores.toFixed(2)} / ${echo.clientCores.toFixed(2)}`, "of 2");
row("  plain node:http echo, CPU µs per request: server / load client", `${echo.serverCpuUsPerRequest.toFixed(0)} / ${echo.clientCpuUsPerRequest.toFixed(0)}`, "");
const ingressAlone = await benchIngressAlone(keys, 64, quick ? 2_000 : 10_000);
row("  playground ingress alone (accepts at once), requests/s", Math.round(ingressAlone.requestsPerSecond).toLocaleString("en"), "same client, in the runtime's process");
row("  playground ingress alone, CPU µs per request: process / main thread", `${ingressAlone.cpuUsPerRequest.toFixed(0)} / ${ingressAlone.mainThreadCpuUsPerRequest.toFixed(0)}`, `echo server: ${echo.serverCpuUsPerRequest.toFixed(0)}`);
// What this 2-core box allows the remote rows at best: the load client and an HTTP server's floor per
// ingress request, plus the SDK server at a batch size, with the runtime costing nothing else.
const boxBound = (batch: number): number => {
  const sdk = sdkBatchCost.find((c) => c.batch === batch)!.serverCpuUsPerMessage;
  return 2e6 / (echo.serverCpuUsPerRequest + echo.clientCpuUsPerRequest + sdk);
};
for (const batch of [5, 10, 50]) {
  row(`  bound of this box at batch ${batch}, runtime free beyond HTTP, msg/s`, Math.round(boxBound(batch)).toLocaleString("en"), "2 cores / (client + HTTP server + SDK) µs");
}
const jsSdk = await benchJsSdkRemote(keys, 64, remoteMs);
endToEndRows(jsSdk);
// Below saturation, latency is the function's and Eddy's, not the length of a queue.
const jsSdkPaced = await benchJsSdkRemote(keys, 64, remoteMs, 3_000);
row("  at 3,000 messages/s offered: p50 / p99 ms", `${jsSdkPaced.ingressToEgressP50Ms.toFixed(2)} / ${jsSdkPaced.ingressToEgressP99Ms.toFixed(2)}`, "");
process.stdout.write("(c2) the same with the durable store (LMDB), as fast as possible, then at half that rate\n");
// Shorter in a quick run: CI runs it, and each of these costs a warm-up and an SDK server start too.
const targetMs = quick ? 2_000 : remoteMs;
const jsSdkDurable = await benchJsSdkRemote(keys, 64, targetMs, undefined, { durable: true });
endToEndRows(jsSdkDurable);
const halfRate = Math.max(100, Math.round(jsSdkDurable.messagesPerSecond / 2));
const jsSdkDurableHalf = await benchJsSdkRemote(keys, 64, targetMs, halfRate, { durable: true });
row(`  at ${halfRate.toLocaleString("en")} messages/s offered (half): ingress ack p50 / p99 ms`, `${jsSdkDurableHalf.requestP50Ms.toFixed(2)} / ${jsSdkDurableHalf.requestP99Ms.toFixed(2)}`, "target p99 ≤ 20");
row("    ingress accept→egress p50 / p99 ms", `${jsSdkDurableHalf.ingressToEgressP50Ms.toFixed(2)} / ${jsSdkDurableHalf.ingressToEgressP99Ms.toFixed(2)}`, "");
row("    of the ack: runtime accept → durable p50 / p99 ms", `${jsSdkDurableHalf.acceptP50Ms.toFixed(2)} / ${jsSdkDurableHalf.acceptP99Ms.toFixed(2)}`, "");
row("    runtime event-loop delay p50 / p99 ms", `${jsSdkDurableHalf.eventLoopDelayP50Ms.toFixed(2)} / ${jsSdkDurableHalf.eventLoopDelayP99Ms.toFixed(2)}`, "");
row("    remote requests per message / runtime CPU µs per message", `${jsSdkDurableHalf.requestsPerMessage.toFixed(2)} / ${jsSdkDurableHalf.runtimeCpuUsPerMessage.toFixed(0)}`, "");
process.stdout.write("(c3) hot key: the durable (c2) with all 64 clients sending to one address\n");
const jsSdkHotKey = await benchJsSdkRemote(1, 64, targetMs, undefined, { durable: true });
endToEndRows(jsSdkHotKey);
row("  hot key / 1,000 keys (c2), messages/s", (jsSdkHotKey.messagesPerSecond / jsSdkDurable.messagesPerSecond).toFixed(2), "target ≥ 1 (batching per address)");

process.stdout.write("(d) embedded greeter served co-located over a Unix socket, 64 clients, 1,000 keys\n");
const colocated = await benchColocated(keys, 64, remoteMs);
endToEndRows(colocated);
const colocatedPaced = await benchColocated(keys, 64, remoteMs, 8_000);
row("  at 8,000 messages/s offered: p50 / p99 ms", `${colocatedPaced.ingressToEgressP50Ms.toFixed(2)} / ${colocatedPaced.ingressToEgressP99Ms.toFixed(2)}`, "");

// (e) Kafka → greeter → Kafka, exactly once, on the project's own broker (scripts/kafka/use-broker.mjs,
// as npm test does).
const kafkaPort = Number(process.env.EDDY_KAFKA_PORT ?? 9092);
let kafka: unknown = `skipped: no broker at 127.0.0.1:${kafkaPort}`;
{
  const { useKafkaBroker } = await import("../scripts/kafka/use-broker.mjs");
  const brokerUp = useKafkaBroker();
  process.stdout.write("(e) Kafka → embedded greeter → Kafka, exactly-once egress, LMDB store, 1,000 keys (measured after a warm-up: 2,000 messages, or 1 s at the offered rate)\n");
  if (!brokerUp) {
    process.stdout.write(`  skipped: the broker at 127.0.0.1:${kafkaPort} did not start (see the [kafka] lines above)\n`);
  } else {
    const { benchKafkaGreeter } = await import("./kafka-greeter.js");
    const max = await benchKafkaGreeter(quick ? 20_000 : 100_000, 0);
    row("  messages/s (as fast as possible)", Math.round(max.messagesPerSecond).toLocaleString("en"), "target ≥ 30,000");
    row("  produce→committed p50 / p99 ms (backlog)", `${max.produceToCommittedP50Ms} / ${max.produceToCommittedP99Ms}`, "");
    const paced = await benchKafkaGreeter(quick ? 50_000 : 200_000, 10_000);
    row("  at 10,000/s offered: messages/s", Math.round(paced.messagesPerSecond).toLocaleString("en"), "");
    row("  at 10,000/s offered: produce→committed p50 / p99 ms", `${paced.produceToCommittedP50Ms} / ${paced.produceToCommittedP99Ms}`, "target ≤ 100");
    row("  CPU µs per message, bench process (runtime + load) / broker, at 10,000/s", `${paced.eddyCpuUsPerMessage} / ${paced.brokerCpuUsPerMessage}`, "");
    const waits = paced.waitsP50Ms!;
    row("  at 10,000/s: p50 ms produce→invoked / →output sent / →read committed", `${waits.toInvoked} / ${waits.toOutputProduced} / ${waits.toRead}`, "");
    row("  at 10,000/s: share of messages logged and removed again (invoked after their accept's group commit)", `${paced.loggedInputShare}`, "");
    row("  missing outputs (negative = extra)", `${max.missing} / ${paced.missing}`, "");
    kafka = { max, paced };
  }
}

// (e2) Cluster mode: 1, 2 and 3 `eddy run --cluster` workers on this machine (bench/cluster.ts, docs/cluster.md).
const clusterSkipped = typeof kafka === "string" ? `skipped: no broker at 127.0.0.1:${kafkaPort}` : undefined;
let cluster: unknown = clusterSkipped;
process.stdout.write("(e2) cluster mode: Kafka → counter → Kafka (exactly-once), 8 partitions, worker processes on this machine\n");
if (clusterSkipped !== undefined) {
  process.stdout.write(`  ${clusterSkipped}\n`);
} else {
  const { benchClusterFailover, benchClusterRun } = await import("./cluster.js");
  const messages = quick ? 20_000 : 100_000;
  const one = await benchClusterRun(1, messages, 0);
  const two = await benchClusterRun(2, messages, 0);
  const three = await benchClusterRun(3, messages, 0);
  row("  1 worker: messages/s (backlog)", Math.round(one.messagesPerSecond).toLocaleString("en"), "target ≥ 20,000");
  row("  2 workers: messages/s (backlog)", Math.round(two.messagesPerSecond).toLocaleString("en"), "target ≥ the 1-worker figure (2 cores)");
  row("  3 workers: messages/s (backlog)", Math.round(three.messagesPerSecond).toLocaleString("en"), "target ≥ the 1-worker figure (2 cores)");
  const half = Math.max(500, Math.round(one.messagesPerSecond / 2 / 500) * 500);
  const seconds = quick ? 5 : 15;
  const pacedOne = await benchClusterRun(1, half * seconds, half);
  const pacedThree = await benchClusterRun(3, half * seconds, half);
  row(`  at ${half.toLocaleString("en")}/s (half of 1 worker's): p50 / p99 ms, 1 worker`, `${pacedOne.produceToCommittedP50Ms} / ${pacedOne.produceToCommittedP99Ms}`, "target p99 ≤ 100");
  row(`  at ${half.toLocaleString("en")}/s: p50 / p99 ms, 3 workers`, `${pacedThree.produceToCommittedP50Ms} / ${pacedThree.produceToCommittedP99Ms}`, "target p99 ≤ 100");
  row("  CPU µs per message, workers / broker: 1 worker backlog, 3 workers backlog", `${one.eddyCpuUsPerMessage} / ${one.brokerCpuUsPerMessage}, ${three.eddyCpuUsPerMessage} / ${three.brokerCpuUsPerMessage}`, "");
  const failover = await benchClusterFailover(6_000, 1_000, quick ? 20 : 40);
  row("  SIGKILL → its partitions processing again, ms", failover.killToProcessingMs.toLocaleString("en"), `target < 10,000 (default session timeout ${failover.sessionTimeoutMs / 1000} s bounds it)`);
  row("  missing outputs (negative = extra)", `${one.missing} / ${two.missing} / ${three.missing} / ${pacedOne.missing} / ${pacedThree.missing} / ${failover.missing}`, "must be 0");
  cluster = { one, two, three, pacedOne, pacedThree, failover };
}

// (f) Durability: the LMDB store vs the memory store in the same run, fsyncs per group
// commit, recovery time and RSS with many keys stored (bench/durable.ts, docs/durability.md).
let durable: unknown;
{
  const { benchDurable } = await import("./durable.js");
  durable = await benchDurable(quick);
}

// (g) Startup: import cost, no-op build, `eddy run` ready (bench/startup.ts).
process.stdout.write("(g) startup of the built packages (median of runs)\n");
const { benchStartup } = await import("./startup.js");
const startup = await benchStartup(quick ? 3 : 7);
row("  import @eddy/runtime ms", startup.importRuntimeMs.toFixed(0), "");
row("  build check, nothing changed, ms", startup.noopBuildMs.toFixed(0), "");
row("  eddy run greeter: spawn → ready ms", startup.eddyRunReadyMs.toFixed(0), "");
row("  the same, first start after a change (compiles) ms", startup.eddyRunFirstReadyMs.toFixed(0), "");
row("  npm run demo start → ready ms (sum)", startup.demoStartMs.toFixed(0), "target < 2,000");

// (h) Observability: a busy /metrics scraper and OTLP tracing against the plain in-process greeter (bench/observability.ts).
process.stdout.write("(h) observability cost: medians of alternating rounds, same run\n");
const { benchObservability } = await import("./observability.js");
const observability = await benchObservability(quick);
row("  (b) requests/s, nothing watching", Math.round(observability.httpRequestsPerSecond).toLocaleString("en"), "");
row("  (b) requests/s, /metrics scraped every 10 ms", Math.round(observability.httpScrapedRequestsPerSecond).toLocaleString("en"), `ratio ${observability.scrapedRatio.toFixed(3)}, ${observability.scrapes} scrapes, slowest ${observability.slowestScrapeMs.toFixed(0)} ms`);
row("  (a) messages/s, tracing off", Math.round(observability.inProcessMessagesPerSecond).toLocaleString("en"), "");
row("  (a) messages/s, tracing on (OTLP/HTTP)", Math.round(observability.inProcessTracedMessagesPerSecond).toLocaleString("en"), `ratio ${observability.tracedRatio.toFixed(3)}, ${observability.spansReceived} spans exported`);

// (i) Admin requests under in-process saturation (bench/admin-latency.ts).
process.stdout.write("(i) admin request latency (GET /healthz, /v1/quarantine every 10 ms from another process)\n");
const { benchAdminLatency } = await import("./admin-latency.js");
const adminLatency = await benchAdminLatency(quick);
const latencyText = (l: { p50Ms: number; p99Ms: number; maxMs: number }) => `${l.p50Ms.toFixed(1)} / ${l.p99Ms.toFixed(1)} / ${l.maxMs.toFixed(0)}`;
row("  idle runtime: p50 / p99 / max ms", latencyText(adminLatency.idle), `${adminLatency.idle.requests} requests`);
row("  saturated (flood): p50 / p99 / max ms", latencyText(adminLatency.flood), `${adminLatency.flood.requests} requests, ${Math.round(adminLatency.flood.invocationsPerSecond).toLocaleString("en")} invocations/s`);
row("  saturated (relay): p50 / p99 / max ms", latencyText(adminLatency.relay), `${adminLatency.relay.requests} requests, ${Math.round(adminLatency.relay.invocationsPerSecond).toLocaleString("en")} invocations/s`);

// The targets of issue 11, each with the figure measured above (null: not measured in this run).
interface TargetFigure {
  readonly figure: string;
  readonly value: number | null;
  readonly target: string;
  /** True or false against the target, null when there is none or nothing was measured. */
  readonly met: boolean | null;
  readonly note?: string;
}
const targets: TargetFigure[] = [];
function target(figure: string, value: number | null | undefined, goal: { atLeast?: number; atMost?: number } | undefined, note?: string): void {
  const v = value === undefined || value === null || Number.isNaN(value) ? null : value;
  const text = goal?.atLeast !== undefined ? `≥ ${goal.atLeast.toLocaleString("en")}` : goal?.atMost !== undefined ? `≤ ${goal.atMost.toLocaleString("en")}` : "report";
  const met = v === null || goal === undefined ? null : goal.atLeast !== undefined ? v >= goal.atLeast : v <= goal.atMost!;
  targets.push({ figure, value: v, target: text, met, ...(note === undefined ? {} : { note }) });
}
const durableFigures = durable as {
  inProcess: { ratio: number };
  playgroundHttp: { ratio: number };
  rss: { keys: number; rssMb?: number; rssAnonMb?: number; rssFileMb?: number }[];
};
const kafkaFigures = typeof kafka === "string" ? undefined : (kafka as { max: { messagesPerSecond: number }; paced: { produceToCommittedP99Ms: number } });
const kafkaNote = kafkaFigures === undefined ? (kafka as string) : undefined;
target("1. remote JS SDK, durable: messages/s", jsSdkDurable.messagesPerSecond, { atLeast: 15_000 });
target("1. remote: ingress ack p99 ms at half that rate", jsSdkDurableHalf.requestP99Ms, { atMost: 20 }, `${halfRate.toLocaleString("en")} msg/s offered`);
target("1. remote: accept→egress p99 ms at half that rate", jsSdkDurableHalf.ingressToEgressP99Ms, undefined);
target("1. remote: requests per message (saturated / half)", jsSdkDurable.requestsPerMessage, undefined, `half rate: ${jsSdkDurableHalf.requestsPerMessage.toFixed(2)}`);
target("1. remote: bound of this box at batch 10, msg/s", boxBound(10), undefined, `runtime free beyond its HTTP floor; batch 50: ${Math.round(boxBound(50)).toLocaleString("en")}; this run's batch ${jsSdkDurable.meanBatchSize.toFixed(1)}`);
target("1. remote: SDK server CPU µs per message (saturated)", jsSdkDurable.functionServerCpuUsPerMessage, undefined, `alone at batch 1 / 10 / 50: ${[1, 10, 50].map((b) => sdkBatchCost.find((c) => c.batch === b)!.serverCpuUsPerMessage.toFixed(0)).join(" / ")}`);
target("1. remote: runtime CPU µs per message (saturated / half)", jsSdkDurable.runtimeCpuUsPerMessage, undefined, `half rate: ${jsSdkDurableHalf.runtimeCpuUsPerMessage.toFixed(0)}; main thread saturated / half: ${jsSdkDurable.runtimeMainThreadCpuUsPerMessage.toFixed(0)} / ${jsSdkDurableHalf.runtimeMainThreadCpuUsPerMessage.toFixed(0)}`);
target("2. embedded durable / memory, in-process", durableFigures.inProcess.ratio, { atLeast: 0.6 });
target("2. embedded durable / memory, over HTTP", durableFigures.playgroundHttp.ratio, { atLeast: 0.8 });
target("3. Kafka exactly-once p99 ms at 10,000/s offered", kafkaFigures?.paced.produceToCommittedP99Ms, { atMost: 100 }, kafkaNote);
target("3. Kafka exactly-once messages/s, saturated", kafkaFigures?.max.messagesPerSecond, { atLeast: 30_000 }, kafkaNote);
target("4. eddy run greeter: spawn → ready ms", startup.eddyRunReadyMs, { atMost: 300 });
const rssEntry = [...durableFigures.rss].filter((r) => r.rssMb !== undefined).sort((x, y) => y.keys - x.keys).find((r) => r.keys <= 1_000_000);
// The target is memory outside the page cache: LMDB's mapped pages (RssFile) are page cache, shared and
// reclaimable, and grow with the keys read; the anonymous part (JS heap, native memory) is what Eddy holds.
const rssKeysNote = rssEntry !== undefined && rssEntry.keys !== 1_000_000 ? `quick run: ${rssEntry.keys.toLocaleString("en")} keys; ` : "";
target(
  "4. RSS MB with 1M keys, outside the page cache (anonymous)",
  rssEntry?.rssAnonMb,
  { atMost: 150 },
  rssEntry === undefined ? undefined : `${rssKeysNote}total RSS ${rssEntry.rssMb!.toFixed(0)} MB, of which file-backed (LMDB's mapped pages) ${rssEntry.rssFileMb?.toFixed(0) ?? "—"}`,
);
target("4. RSS MB with 1M keys, total (page cache included)", rssEntry?.rssMb, undefined, "report: the file-backed part grows with the keys read");
target("5. hot key (64 clients, one address): messages/s", jsSdkHotKey.messagesPerSecond, { atLeast: Math.round(jsSdkDurable.messagesPerSecond) }, "target: the 1,000-key figure of this run");
// Issue 8 (cluster mode), item 7.
type ClusterRunFigures = { messagesPerSecond: number; offeredPerSecond: number; produceToCommittedP99Ms: number };
const clusterFigures = typeof cluster === "string" ? undefined : (cluster as { one: ClusterRunFigures; three: ClusterRunFigures; pacedOne: ClusterRunFigures; pacedThree: ClusterRunFigures; failover: { killToProcessingMs: number } });
const clusterNote = clusterFigures === undefined ? (cluster as string) : undefined;
target("cluster: 1 worker, messages/s (exactly-once)", clusterFigures?.one.messagesPerSecond, { atLeast: 20_000 }, clusterNote);
target("cluster: 3 workers, messages/s in total", clusterFigures?.three.messagesPerSecond, clusterFigures === undefined ? undefined : { atLeast: Math.round(clusterFigures.one.messagesPerSecond) }, clusterNote ?? "target: the 1-worker figure of this run");
target("cluster: p99 ms at half of 1 worker's rate, 1 worker", clusterFigures?.pacedOne.produceToCommittedP99Ms, { atMost: 100 }, clusterNote ?? `${clusterFigures!.pacedOne.offeredPerSecond.toLocaleString("en")} msg/s offered`);
target("cluster: p99 ms at that rate, 3 workers", clusterFigures?.pacedThree.produceToCommittedP99Ms, { atMost: 100 }, clusterNote);
target("cluster: SIGKILL → its partitions processing again, ms", clusterFigures?.failover.killToProcessingMs, { atMost: 10_000 }, clusterNote);

process.stdout.write("\nTargets (issue 11, and issue 8's cluster figures; compare within this run, the machine is small and shared)\n");
for (const t of targets) {
  const value = t.value === null ? "—" : t.value >= 100 ? Math.round(t.value).toLocaleString("en") : t.value.toFixed(2);
  const verdict = t.met === null ? "" : t.met ? "met" : "NOT met";
  process.stdout.write(`  ${t.figure.padEnd(58)} ${value.padStart(10)}   ${t.target.padEnd(9)} ${verdict.padEnd(7)} ${t.note ?? ""}\n`);
}
const { loadavg } = await import("node:os");

const summary = {
  date: new Date().toISOString(),
  node: process.version,
  quick,
  /** The machine's 1, 5 and 15 minute load averages at the end of the run: other work on it skews every figure. */
  loadAverage: loadavg(),
  targets,
  embeddedInProcess: inProcess,
  embeddedPlaygroundHttp: http,
  requestReply,
  remoteJsSdkHttp: jsSdk,
  remoteJsSdkHttpPaced3k: jsSdkPaced,
  remoteJsSdkDurable: jsSdkDurable,
  remoteJsSdkDurableHalfRate: { offeredPerSecond: halfRate, ...jsSdkDurableHalf },
  remoteJsSdkHotKey: jsSdkHotKey,
  plainHttpEcho: echo,
  playgroundIngressAlone: ingressAlone,
  remoteCall,
  sdkBatchCost,
  colocatedUnixSocket: colocated,
  colocatedUnixSocketPaced8k: colocatedPaced,
  kafka,
  cluster,
  durable,
  startup,
  observability,
  adminLatency,
};
mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
writeFileSync(new URL("./results/latest.json", import.meta.url), `${JSON.stringify(summary, null, 2)}\n`);
process.stdout.write(`\nJSON summary (also in bench/results/latest.json):\n${JSON.stringify(summary)}\n`);
