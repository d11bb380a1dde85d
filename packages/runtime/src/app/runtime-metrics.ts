import { PrometheusMetrics } from "../observability/prometheus-metrics.js";
import type { Runtime } from "../runtime/runtime.js";

/**
 * The Prometheus metrics of one runtime (what `GET /metrics` on the admin
 * port answers). Values are read from the runtime when scraped.
 */
export function runtimeMetrics(runtime: Runtime, options: { quarantinedAddresses?: () => number } = {}): PrometheusMetrics {
  return new PrometheusMetrics({
    stats: runtime.stats,
    backlog: () => runtime.backlogByFunctionType(),
    pendingMessages: () => runtime.pendingMessages,
    pendingDelayedMessages: () => runtime.pendingDelayedMessages,
    endpoints: () => runtime.endpointConcurrency(),
    ...(options.quarantinedAddresses === undefined ? {} : { quarantinedAddresses: options.quarantinedAddresses }),
  });
}
