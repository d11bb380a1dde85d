import type { PrometheusMetrics } from "../observability/prometheus-metrics.js";
import type { Runtime } from "../runtime/runtime.js";

/**
 * The Prometheus metrics of one runtime (what `GET /metrics` on the admin
 * port answers). Values are read from the runtime when scraped. prom-client
 * is loaded here, on first use, so importing @eddy/runtime does not pay for it.
 */
export async function runtimeMetrics(runtime: Runtime, options: { quarantinedAddresses?: () => number } = {}): Promise<PrometheusMetrics> {
  const { PrometheusMetrics } = await import("../observability/prometheus-metrics.js");
  return new PrometheusMetrics({
    stats: runtime.stats,
    backlog: () => runtime.backlogByFunctionType(),
    pendingMessages: () => runtime.pendingMessages,
    pendingDelayedMessages: () => runtime.pendingDelayedMessages,
    pendingEgressRecords: () => runtime.pendingEgressRecords(),
    endpoints: () => runtime.endpointConcurrency(),
    ...(options.quarantinedAddresses === undefined ? {} : { quarantinedAddresses: options.quarantinedAddresses }),
  });
}
