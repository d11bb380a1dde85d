import { runtimeMetrics } from "../app/runtime-metrics.js";
import type { PrometheusMetrics } from "../observability/prometheus-metrics.js";
import type { Runtime } from "../runtime/runtime.js";
import type { AdminServer } from "./admin-server.js";

/** What the metrics and status endpoints read; the quarantine count comes from whoever keeps the quarantine. */
export interface MetricsRouteOptions {
  readonly quarantinedAddresses?: () => number;
}

/**
 * `GET /metrics` (Prometheus text), and the JSON the web console polls:
 * `GET /v1/functions` (counters per function type) and `GET /v1/io`
 * (ingresses and egresses). Every value is read when asked; nothing here runs
 * on the message path.
 */
export function registerMetricsRoutes(admin: AdminServer, runtime: Runtime, options: MetricsRouteOptions = {}): void {
  let metrics: Promise<PrometheusMetrics> | undefined;
  admin.route({
    method: "GET",
    path: "/metrics",
    doc: {
      summary: "Prometheus metrics (text format 0.0.4): invocations, failures, durations, messages, backlog, commits, ingress and egress records, remote endpoints",
      description: "docs/observability.md lists every metric and its StateFun counterpart.",
      tags: ["observability"],
      responses: { "200": { description: "Prometheus text exposition", content: { "text/plain": { schema: { type: "string" } } } } },
    },
    handle: async () => {
      // prom-client loads with the first scrape, not with the runtime.
      const m = await (metrics ??= runtimeMetrics(runtime, options));
      return { contentType: m.contentType, body: await m.text() };
    },
  });
  admin.route({
    method: "GET",
    path: "/v1/functions",
    doc: {
      summary: "Every function type seen so far, with its counters since start (the console computes rates from two readings)",
      tags: ["observability"],
      responses: { "200": { description: "{ functions: [...] }", content: { "application/json": { schema: { type: "object" } } } } },
    },
    handle: () => {
      const backlog = runtime.backlogByFunctionType();
      const functions = [...runtime.stats.functions]
        .map((f) => ({
          functionType: f.functionType,
          invocations: f.invocations,
          failures: f.failureCount,
          failuresByReason: Object.fromEntries(f.failures),
          messagesIn: f.messagesIn,
          outLocal: f.outLocal,
          outRemote: f.outRemote,
          outEgress: f.outEgress,
          backlog: backlog.get(f.functionType) ?? 0,
          meanInvocationMs: f.duration.count === 0 ? 0 : (f.duration.sum * 1000) / f.duration.count,
        }))
        .sort((a, b) => a.functionType.localeCompare(b.functionType));
      return { json: { functions, pendingMessages: runtime.pendingMessages, pendingDelayedMessages: runtime.pendingDelayedMessages } };
    },
  });
  admin.route({
    method: "GET",
    path: "/v1/io",
    doc: {
      summary: "Ingresses and egresses: what each one serves and how many records it took or delivered",
      tags: ["observability"],
      responses: { "200": { description: "{ ingresses: [...], egresses: [...] }", content: { "application/json": { schema: { type: "object" } } } } },
    },
    handle: () => {
      const readiness = runtime.readiness;
      const ingresses = runtime.io.ingresses.map((i) => {
        const s = [...runtime.stats.ingresses].find((x) => x.id === i.id);
        return { id: i.id, description: i.describe(), accepted: s?.records ?? 0, refused: s?.failures ?? 0 };
      });
      const egresses = runtime.io.egresses.map((e) => {
        const s = [...runtime.stats.egresses].find((x) => x.id === e.id);
        return { id: e.id, description: e.describe(), delivered: s?.records ?? 0, failed: s?.failures ?? 0 };
      });
      return { json: { state: runtime.state, ready: readiness.ready, ...(readiness.ready ? {} : { notReady: readiness.reason }), ingresses, egresses } };
    },
  });
}
