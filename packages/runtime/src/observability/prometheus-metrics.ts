import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { MetricObjectWithValues, MetricValueWithName } from "prom-client";
import { DURATION_BUCKETS_SECONDS } from "./duration-histogram.js";
import type { DurationHistogram } from "./duration-histogram.js";
import type { EndpointConcurrency, RuntimeStats } from "./runtime-stats.js";

/**
 * Where the exporter reads its values at scrape time. Everything is read then,
 * never pushed: the hot path only adds to plain counters in `stats`.
 */
export interface MetricSources {
  readonly stats: RuntimeStats;
  /** Messages waiting (not yet in an invocation), per function type. */
  backlog(): ReadonlyMap<string, number>;
  /** Messages accepted and not yet committed, delayed ones not counted. */
  pendingMessages(): number;
  pendingDelayedMessages(): number;
  /** Records each egress holds undelivered, by egress id. */
  pendingEgressRecords(): ReadonlyMap<string, number>;
  /** Addresses parked in the quarantine; undefined while the runtime has none. */
  quarantinedAddresses?(): number;
  endpoints(): Iterable<EndpointConcurrency>;
}

type Labels = Partial<Record<string, string | number>>;

/**
 * A Prometheus histogram whose buckets are read from a DurationHistogram at
 * scrape time, instead of being observed one by one (prom-client's observe
 * costs ~0.7 µs, too much for every invocation).
 */
class ScrapedHistogram extends Histogram<string> {
  readonly #name: string;
  readonly #help: string;
  readonly #read: () => Iterable<readonly [Labels, DurationHistogram]>;

  constructor(registry: Registry, name: string, help: string, labelNames: readonly string[], read: () => Iterable<readonly [Labels, DurationHistogram]>) {
    super({ name, help, labelNames, buckets: [...DURATION_BUCKETS_SECONDS], registers: [registry] });
    this.#name = name;
    this.#help = help;
    this.#read = read;
  }

  override get(): Promise<MetricObjectWithValues<MetricValueWithName<string>>> {
    const values: MetricValueWithName<string>[] = [];
    const bucket = `${this.#name}_bucket`;
    for (const [labels, h] of this.#read()) {
      let cumulative = 0;
      for (let i = 0; i < DURATION_BUCKETS_SECONDS.length; i++) {
        cumulative += h.counts[i]!;
        values.push({ metricName: bucket, labels: { ...labels, le: DURATION_BUCKETS_SECONDS[i]! }, value: cumulative });
      }
      values.push({ metricName: bucket, labels: { ...labels, le: "+Inf" }, value: h.count });
      values.push({ metricName: `${this.#name}_sum`, labels, value: h.sum });
      values.push({ metricName: `${this.#name}_count`, labels, value: h.count });
    }
    // prom-client's typings declare `type` as an enum and require `collect`; at run time it is the string below.
    const metric = { name: this.#name, help: this.#help, type: "histogram", values, aggregator: "sum" };
    return Promise.resolve(metric as unknown as MetricObjectWithValues<MetricValueWithName<string>>);
  }

  /** prom-client's text exposition reads this one. */
  getForPromString(): Promise<MetricObjectWithValues<MetricValueWithName<string>>> {
    return this.get();
  }
}

/** Sets a counter to absolute values (the runtime counts; the counter only reports). */
function report<T extends string>(counter: Counter<T>, rows: Iterable<readonly [Partial<Record<T, string>>, number]>): void {
  counter.reset();
  for (const [labels, value] of rows) counter.inc(labels, value);
}

function set<T extends string>(gauge: Gauge<T>, rows: Iterable<readonly [Partial<Record<T, string>>, number]>): void {
  gauge.reset();
  for (const [labels, value] of rows) gauge.set(labels, value);
}

/**
 * Eddy's metrics in the Prometheus text format (prom-client). Metric names and
 * meanings: docs/observability.md, which maps them to StateFun's metrics.
 */
export class PrometheusMetrics {
  readonly registry = new Registry();

  constructor(sources: MetricSources) {
    const { stats } = sources;
    const registers = [this.registry];
    new Counter({
      name: "eddy_function_invocations_total",
      help: "Invocation attempts (one batch of messages each), successful or not, per function type",
      labelNames: ["function_type"],
      registers,
      collect() {
        report(this, map(stats.functions, (f) => [{ function_type: f.functionType }, f.invocations]));
      },
    });
    new Counter({
      name: "eddy_function_failures_total",
      help: "Failed invocation attempts per function type and reason (the error code); the batch is retried",
      labelNames: ["function_type", "reason"],
      registers,
      collect() {
        const rows: [Record<string, string>, number][] = [];
        for (const f of stats.functions) for (const [reason, n] of f.failures) rows.push([{ function_type: f.functionType, reason }, n]);
        report(this, rows);
      },
    });
    new ScrapedHistogram(
      this.registry,
      "eddy_invocation_duration_seconds",
      "Time from calling a function with a batch until its outcome (commit not included), per function type",
      ["function_type"],
      () => map(stats.functions, (f) => [{ function_type: f.functionType }, f.duration] as const),
    );
    new Counter({
      name: "eddy_messages_total",
      help: 'Messages per function type: "in" consumed by committed invocations, "out_local" / "out_remote" sent to an address in the same / another partition, "egress" records produced',
      labelNames: ["function_type", "direction"],
      registers,
      collect() {
        const rows: [Record<string, string>, number][] = [];
        for (const f of stats.functions) {
          const function_type = f.functionType;
          rows.push([{ function_type, direction: "in" }, f.messagesIn]);
          rows.push([{ function_type, direction: "out_local" }, f.outLocal]);
          rows.push([{ function_type, direction: "out_remote" }, f.outRemote]);
          rows.push([{ function_type, direction: "egress" }, f.outEgress]);
        }
        report(this, rows);
      },
    });
    new Gauge({
      name: "eddy_address_backlog",
      help: "Messages waiting for their address (queued behind an invocation in flight, or not yet taken from the partition log), per function type",
      labelNames: ["function_type"],
      registers,
      collect() {
        // Every function type seen so far is reported, at 0 when nothing waits.
        const backlog = new Map(sources.backlog());
        for (const f of stats.functions) if (!backlog.has(f.functionType)) backlog.set(f.functionType, 0);
        set(this, map(backlog, ([type, n]) => [{ function_type: type }, n]));
      },
    });
    new Gauge({
      name: "eddy_pending_messages",
      help: "Messages accepted and not yet committed (what the backpressure gate counts)",
      registers,
      collect() {
        this.set(sources.pendingMessages());
      },
    });
    new Gauge({
      name: "eddy_pending_delayed_messages",
      help: "Delayed messages not yet due",
      registers,
      collect() {
        this.set(sources.pendingDelayedMessages());
      },
    });
    new Gauge({
      name: "eddy_quarantined_addresses",
      help: "Addresses parked in the quarantine after their message kept failing",
      registers,
      collect() {
        this.set(sources.quarantinedAddresses?.() ?? 0);
      },
    });
    new ScrapedHistogram(
      this.registry,
      "eddy_store_commit_duration_seconds",
      "Time from handing a commit unit to the store until it is durable (group commit and fsync included)",
      [],
      () => [[{}, stats.commitDuration] as const],
    );
    new Counter({
      name: "eddy_ingress_messages_total",
      help: "Messages accepted per ingress id",
      labelNames: ["ingress"],
      registers,
      collect() {
        report(this, map(stats.ingresses, (s) => [{ ingress: s.id }, s.records]));
      },
    });
    new Counter({
      name: "eddy_ingress_failures_total",
      help: "Accepts refused per ingress id (the runtime was shutting down or the store failed)",
      labelNames: ["ingress"],
      registers,
      collect() {
        report(this, map(stats.ingresses, (s) => [{ ingress: s.id }, s.failures]));
      },
    });
    new Counter({
      name: "eddy_egress_records_total",
      help: "Egress records delivered per egress id",
      labelNames: ["egress"],
      registers,
      collect() {
        report(this, map(stats.egresses, (s) => [{ egress: s.id }, s.records]));
      },
    });
    new Counter({
      name: "eddy_egress_failures_total",
      help: "Failed egress deliveries per egress id (the records are kept and delivered again after a restart)",
      labelNames: ["egress"],
      registers,
      collect() {
        report(this, map(stats.egresses, (s) => [{ egress: s.id }, s.failures]));
      },
    });
    new Gauge({
      name: "eddy_egress_pending_records",
      help: "Records an egress holds undelivered (its broker or stream unreachable, or slow); at maxPendingEgressRecords the ingresses wait",
      labelNames: ["egress"],
      registers,
      collect() {
        this.reset();
        for (const [egress, pending] of sources.pendingEgressRecords()) this.set({ egress }, pending);
      },
    });
    new Gauge({
      name: "eddy_remote_in_flight_requests",
      help: "Requests in flight to a remote function endpoint",
      labelNames: ["endpoint"],
      registers,
      collect() {
        set(this, map(sources.endpoints(), (e) => [{ endpoint: e.endpoint }, e.inFlight]));
      },
    });
    new Gauge({
      name: "eddy_remote_concurrency_limit",
      help: "The adaptive limit on requests in flight to a remote function endpoint",
      labelNames: ["endpoint"],
      registers,
      collect() {
        set(this, map(sources.endpoints(), (e) => [{ endpoint: e.endpoint }, e.limit]));
      },
    });
    new Gauge({
      name: "eddy_remote_waiting_requests",
      help: "Requests held back by a remote endpoint's concurrency limit",
      labelNames: ["endpoint"],
      registers,
      collect() {
        set(this, map(sources.endpoints(), (e) => [{ endpoint: e.endpoint }, e.waiting]));
      },
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The text exposition of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}

function* map<T, R>(items: Iterable<T>, f: (item: T) => R): Iterable<R> {
  for (const item of items) yield f(item);
}
