/**
 * (h) What observability costs the hot path, in one run: the HTTP greeter (b)
 * as it is and while another process scrapes /metrics every 10 ms; the
 * in-process greeter (a) as it is and with tracing exporting every span over
 * OTLP/HTTP to a local receiver. Variants alternate, so drift of the (noisy)
 * machine hits all of them; ratios are medians of per-round ratios.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createRuntimeAdmin, silentLogger, tracingFromEnvironment } from "@eddy/runtime";
import type { Runtime } from "@eddy/runtime";
import { benchGreeterHttp } from "./greeter-http.js";
import { benchGreeterInProcess } from "./greeter-in-process.js";
import { startPollingClient } from "./polling-client.js";

export interface ObservabilityResult {
  /** (b): the playground HTTP greeter, and the same while /metrics is scraped every 10 ms by another process. */
  readonly httpRequestsPerSecond: number;
  readonly httpScrapedRequestsPerSecond: number;
  readonly scrapedRatio: number;
  readonly scrapes: number;
  readonly slowestScrapeMs: number;
  /** (a): the in-process greeter, and the same with every span exported over OTLP/HTTP. */
  readonly inProcessMessagesPerSecond: number;
  readonly inProcessTracedMessagesPerSecond: number;
  readonly tracedRatio: number;
  readonly spansReceived: number;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Scrapes /metrics every 10 ms from another process while the benchmark runs. */
async function scraping(runtime: Runtime, count: { n: number; maxMs: number }): Promise<() => Promise<void>> {
  const admin = createRuntimeAdmin(runtime, { port: 0, logger: silentLogger() });
  await admin.start();
  const stopClient = await startPollingClient([`${admin.url}/metrics`], 10);
  return async () => {
    const result = await stopClient();
    count.n += result.requests;
    count.maxMs = Math.max(count.maxMs, result.maxMs);
    await admin.stop();
  };
}

export async function benchObservability(quick: boolean): Promise<ObservabilityResult> {
  const messages = quick ? 100_000 : 500_000;
  const keys = 1000;
  const httpMs = quick ? 3_000 : 10_000;
  let spans = 0;
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { resourceSpans?: { scopeSpans?: { spans?: unknown[] }[] }[] };
      for (const rs of body.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) spans += ss.spans?.length ?? 0;
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  const tracing = () => tracingFromEnvironment({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }, silentLogger());
  const runs = { http: [] as number[], httpScraped: [] as number[], inProcess: [] as number[], inProcessTraced: [] as number[] };
  const scrapes = { n: 0, maxMs: 0 };
  try {
    for (let round = 0; round < 3; round++) {
      runs.http.push((await benchGreeterHttp(keys, 64, httpMs)).requestsPerSecond);
      runs.httpScraped.push((await benchGreeterHttp(keys, 64, httpMs, undefined, { whileRunning: (r) => scraping(r, scrapes) })).requestsPerSecond);
      runs.inProcess.push((await benchGreeterInProcess(messages, keys)).messagesPerSecond);
      runs.inProcessTraced.push((await benchGreeterInProcess(messages, keys, undefined, { runtime: { tracing: await tracing() } })).messagesPerSecond);
    }
  } finally {
    receiver.closeAllConnections();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  }
  return {
    httpRequestsPerSecond: median(runs.http),
    httpScrapedRequestsPerSecond: median(runs.httpScraped),
    scrapedRatio: median(runs.httpScraped.map((x, i) => x / runs.http[i]!)),
    scrapes: scrapes.n,
    slowestScrapeMs: scrapes.maxMs,
    inProcessMessagesPerSecond: median(runs.inProcess),
    inProcessTracedMessagesPerSecond: median(runs.inProcessTraced),
    tracedRatio: median(runs.inProcessTraced.map((x, i) => x / runs.inProcess[i]!)),
    spansReceived: spans,
  };
}
