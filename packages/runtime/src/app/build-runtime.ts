import { EddyError } from "@eddy/sdk";
import type { FunctionPattern, ModuleConfig, SourceLocation } from "../config/index.js";
import { PlaygroundEgress } from "../io/playground/playground-egress.js";
import { PlaygroundIngress } from "../io/playground/playground-ingress.js";
import type { Egress } from "../model/egress.js";
import type { KafkaEgress } from "../io/kafka/kafka-egress.js";
import type { Logger } from "../log/logger.js";
import { Runtime } from "../runtime/runtime.js";
import { DEFAULT_QUARANTINE_AFTER, QuarantinePolicy } from "../runtime/quarantine-policy.js";
import type { RuntimeOptions } from "../runtime/runtime.js";
import type { StateStore } from "../store/state-store.js";
import type { Tracing } from "../observability/tracing.js";
import { loadEmbeddedModule } from "./embedded-module-loader.js";
import { loadConnector } from "./connector-loader.js";
import { bindColocatedFunctions } from "../colocated/bind-colocated.js";
import { EndpointPools } from "../remote/endpoint-pools.js";
import { functionUrl } from "../remote/endpoint-url.js";
import { remoteInvoker } from "../remote/remote-invoker.js";
import type { TransportOptions } from "../remote/transport-options.js";
import type { HttpTransport, KafkaIngressSpec } from "../config/index.js";
import type { ClusterSettings } from "../cluster/cluster-settings.js";
import type { StreamIngress } from "../cluster/stream-ingress.js";
import { MemoryStateStore } from "../store/memory-state-store.js";
import { SpecRegistry } from "../store/spec-registry.js";

export interface BuildRuntimeOptions {
  readonly logger: Logger;
  readonly store?: StateStore;
  /** Host the playground servers bind to. Default 127.0.0.1. */
  readonly host?: string;
  readonly globalConfiguration?: Readonly<Record<string, string>>;
  /** Failed attempts before a message is parked, for function types no io.eddy.runtime.v1/quarantine names (`eddy run --quarantine-after`). Default 10. */
  readonly quarantineAfter?: number;
  /** Where spans go (tracingFromEnvironment); default none. */
  readonly tracing?: Tracing;
  /** Runs the module as a worker of a Kafka-backed cluster (docs/cluster.md) instead of the embedded mode. */
  readonly cluster?: ClusterSettings;
}

function at(location: SourceLocation): string {
  return `${location.file}:${location.line}:${location.column}`;
}

function matches(pattern: FunctionPattern, functionType: string): boolean {
  return pattern.kind === "function" ? pattern.text === functionType : functionType.startsWith(`${pattern.namespace}/`);
}

/**
 * Builds a runtime from a validated module file: binds functions (embedded,
 * remote), ingresses and egresses. Throws before anything starts when a
 * component cannot run, so a bad module never half-starts.
 */
export async function buildRuntime(config: ModuleConfig, options: BuildRuntimeOptions): Promise<Runtime> {
  const settings = config.components.find((c) => c.kind === "io.eddy.runtime.v1/settings");
  const runtimeOptions: RuntimeOptions = {
    logger: options.logger,
    ...(options.store === undefined ? {} : { store: options.store }),
    ...(options.globalConfiguration === undefined ? {} : { globalConfiguration: options.globalConfiguration }),
    ...(options.tracing === undefined ? {} : { tracing: options.tracing }),
    quarantine: new QuarantinePolicy(
      options.quarantineAfter ?? DEFAULT_QUARANTINE_AFTER,
      config.components.flatMap((c) => (c.kind === "io.eddy.runtime.v1/quarantine" ? [{ functions: c.spec.functions.text, afterAttempts: c.spec.afterAttempts }] : [])),
    ),
    ...(settings === undefined
      ? {}
      : { partitions: settings.spec.partitions, maxPendingMessages: settings.spec.maxPendingMessages, maxPendingEgressRecords: settings.spec.maxPendingEgressRecords }),
  };
  const clusterIngresses: KafkaIngressSpec[] = [];
  const streamIngresses: StreamIngress[] = [];
  const clusterEgresses = new Set<string>();
  if (options.cluster !== undefined) {
    if (options.store !== undefined) {
      throw new EddyError("EDDY_CONFIG_INVALID", "a cluster worker keeps its state in Kafka; it takes no local store (drop --data-dir or --cluster)");
    }
    const specs = new SpecRegistry();
    const runtimeRef: { current?: Runtime } = {};
    const { ClusterPlacement } = await loadConnector("kafka", () => import("../cluster/cluster-placement.js"), `--cluster ${options.cluster.cluster}`);
    const { moduleDigest } = await import("../cluster/module-digest.js");
    const placement = new ClusterPlacement({
      settings: options.cluster,
      logger: options.logger,
      specs,
      kafkaEgresses: clusterEgresses,
      ingresses: clusterIngresses,
      streamIngresses,
      checkTarget: (target, argument) => runtimeRef.current!.checkTarget(target, argument),
      moduleDigest: moduleDigest(config),
    });
    const runtime = new Runtime({ ...runtimeOptions, partitions: placement.topics.partitions, store: new MemoryStateStore({ specs }), placement });
    runtimeRef.current = runtime;
    return bindComponents(runtime, config, options, { ingresses: clusterIngresses, streamIngresses, egresses: clusterEgresses });
  }
  const runtime = new Runtime(runtimeOptions);
  return bindComponents(runtime, config, options, undefined);
}

/** Ingresses and Kafka egresses of a cluster worker: collected for the partitions' transactions instead of bound on their own. */
interface ClusterKafka {
  readonly ingresses: KafkaIngressSpec[];
  /** Kinesis ingresses: each stream is read in the partition task that owns it (cluster/stream-ingress.ts). */
  readonly streamIngresses: StreamIngress[];
  readonly egresses: Set<string>;
}

async function bindComponents(runtime: Runtime, config: ModuleConfig, options: BuildRuntimeOptions, cluster: ClusterKafka | undefined): Promise<Runtime> {
  const host = options.host ?? "127.0.0.1";
  let pools: EndpointPools | undefined;

  for (const c of config.components) {
    switch (c.kind) {
      case "io.eddy.functions.v1/embedded": {
        const where = at(c.location);
        const loaded = await loadEmbeddedModule(c.spec.module, c.spec.export, where);
        const bound = loaded.functions.filter((fn) => matches(c.spec.functions, fn.typename));
        for (const module of loaded.modules) runtime.bindModule(module);
        if (bound.length === 0 && loaded.modules.length === 0) {
          throw new EddyError(
            "EDDY_CONFIG_INVALID",
            `${where} spec.functions: ${c.spec.module} exports no function matching "${c.spec.functions.text}" (found: ${loaded.functions.map((f) => f.typename).join(", ") || "none"})`,
          );
        }
        for (const fn of bound) runtime.bindFunction(fn, { source: where });
        break;
      }
      case "io.statefun.playground.v1/ingress":
        runtime.bindIngress(
          new PlaygroundIngress({
            port: c.spec.port,
            host,
            limits: c.spec.http.limits,
            allowedOrigins: c.spec.http.allowedOrigins,
            logger: options.logger,
            ...(c.spec.requestReply === undefined ? {} : { requestReply: { timeoutMs: c.spec.requestReply.timeout } }),
          }),
          { source: at(c.location) },
        );
        break;
      case "io.statefun.playground.v1/egress":
        runtime.bindEgress(
          new PlaygroundEgress({
            port: c.spec.port,
            topics: c.spec.topics,
            host,
            logger: options.logger,
            limits: c.spec.http.limits,
            allowedOrigins: c.spec.http.allowedOrigins,
          }),
          { source: at(c.location) },
        );
        break;
      case "io.statefun.kinesis.v1/ingress": {
        const { KinesisIngress, unservedTarget } = await loadConnector("kinesis", () => import("../io/kinesis/kinesis-ingress.js"), at(c.location));
        const spec = c.spec;
        if (cluster !== undefined) {
          cluster.streamIngresses.push({
            id: spec.id,
            streams: spec.streams.map((s) => s.stream),
            create: (streams) => new KinesisIngress({ spec: { ...spec, streams: spec.streams.filter((s) => streams.includes(s.stream)) }, logger: options.logger }),
            problem: (checkTarget) => unservedTarget(spec, checkTarget),
          });
          break;
        }
        runtime.bindIngress(new KinesisIngress({ spec, logger: options.logger }), { source: at(c.location) });
        break;
      }
      case "io.statefun.kinesis.v1/egress": {
        const { KinesisEgress } = await loadConnector("kinesis", () => import("../io/kinesis/kinesis-egress.js"), at(c.location));
        runtime.bindEgress(new KinesisEgress({ spec: c.spec, logger: options.logger }), { source: at(c.location) });
        break;
      }
      case "io.statefun.kafka.v1/ingress": {
        if (cluster !== undefined) {
          warnOtherKafka(c.spec.address, at(c.location), options);
          cluster.ingresses.push(c.spec);
          break;
        }
        const { KafkaIngress } = await loadConnector("kafka", () => import("../io/kafka/kafka-ingress.js"), at(c.location));
        runtime.bindIngress(new KafkaIngress({ spec: c.spec, logger: options.logger }), { source: at(c.location) });
        break;
      }
      case "io.statefun.kafka.v1/egress": {
        const { KafkaEgress } = await loadConnector("kafka", () => import("../io/kafka/kafka-egress.js"), at(c.location));
        const egressId = c.spec.id;
        if (cluster !== undefined) {
          warnOtherKafka(c.spec.address, at(c.location), options);
          cluster.egresses.add(egressId);
          runtime.bindEgress(transactionalKafkaEgress(new KafkaEgress({ spec: c.spec, logger: options.logger })));
          break;
        }
        runtime.bindEgress(
          new KafkaEgress({
            spec: c.spec,
            logger: options.logger,
            // Only records still in the store at startup can already be in Kafka from a previous run.
            recoveredIds: async () => {
              const recovered = await runtime.store.recover();
              return new Set(recovered.egress.filter((r) => r.egress === egressId).map((r) => r.id));
            },
          }),
          { source: at(c.location) },
        );
        break;
      }
      case "io.statefun.endpoints.v1/http":
      case "io.statefun.endpoints.v2/http": {
        const spec = c.spec;
        const transport = transportOptions(spec.transport);
        pools ??= new EndpointPools();
        const endpointPools = pools;
        runtime.bindInvoker(
          spec.functions.text,
          (functionType) =>
            remoteInvoker({
              functionType,
              url: functionUrl(spec.urlPathTemplate, functionType),
              maxBacklog: spec.maxNumBatchRequests,
              transport,
              pools: endpointPools,
              logger: options.logger,
              tracing: runtime.tracing,
            }),
          at(c.location),
        );
        break;
      }
      case "io.eddy.functions.v1/colocated": {
        // The process starts with runtime.start() and stops after the drain (see bindColocatedFunctions).
        pools ??= new EndpointPools();
        bindColocatedFunctions(runtime, c.spec, { logger: options.logger, pools, where: at(c.location) });
        break;
      }
      default:
        break;
    }
  }
  warnIfExposed(config, host, options.logger);
  if (pools !== undefined) {
    const toClose = pools;
    runtime.reportEndpoints(() => toClose.concurrency());
    runtime.onStop(() => toClose.close());
  }
  return runtime;
}

/** Loopback addresses: only this machine can connect. */
function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/u.test(host);
}

/** The playground servers have no authentication: binding them beyond loopback must not go unsaid. */
function warnIfExposed(config: ModuleConfig, host: string, logger: Logger): void {
  if (isLoopback(host)) return;
  const exposed = config.components.flatMap((c) =>
    c.kind === "io.statefun.playground.v1/ingress"
      ? [`playground ingress on port ${c.spec.port} (anyone who can reach it can send messages to every bound function)`]
      : c.kind === "io.statefun.playground.v1/egress"
        ? [`playground egress on port ${c.spec.port} (anyone who can reach it can pop every egress record)`]
        : [],
  );
  if (exposed.length === 0) return;
  logger.warn(
    { host, exposed },
    `--host ${host} serves unauthenticated HTTP beyond this machine: ${exposed.join("; ")}. Bind 127.0.0.1 (the default), or put a firewall or an authenticating proxy in front`,
  );
}

/** Cluster transactions span one Kafka cluster: a connector's own address is not used, so say so when it differs. */
function warnOtherKafka(address: string, where: string, options: BuildRuntimeOptions): void {
  const brokers = options.cluster?.brokers ?? [];
  const own = address.split(",").map((a) => a.trim()).filter((a) => a.length > 0);
  if (own.some((a) => !brokers.includes(a))) {
    options.logger.warn(
      { component: where, address, bootstrap: brokers.join(",") },
      `${where}: in the cluster mode Kafka connectors use the cluster's brokers (--bootstrap ${brokers.join(",")}), not ${address}; they must be the same Kafka cluster`,
    );
  }
}

/**
 * A Kafka egress of a cluster worker: its records are produced inside the
 * partition's transaction (KafkaPartitionStore), always exactly once, so
 * there is nothing left to deliver after the commit.
 */
function transactionalKafkaEgress(egress: KafkaEgress): Egress {
  return {
    id: egress.id,
    check: (record) => egress.check(record),
    deliver: () => undefined,
    start: () => egress.prepareChecks(),
    stop: () => egress.closeChecks(),
    describe: () => `${egress.describe()}; in the cluster, written in each partition's transaction (exactly once)`,
  };
}

function transportOptions(t: HttpTransport): TransportOptions {
  if (t.type === "okhttp") {
    return { type: "okhttp", callMs: t.call, connectMs: t.connect, readMs: t.read, writeMs: t.write };
  }
  const tls = {
    ...(t.tls.trustCaCerts === undefined ? {} : { ca: t.tls.trustCaCerts }),
    ...(t.tls.clientCert === undefined ? {} : { cert: t.tls.clientCert }),
    ...(t.tls.clientKey === undefined ? {} : { key: t.tls.clientKey }),
    ...(t.tls.clientKeyPassword === undefined ? {} : { passphraseFile: t.tls.clientKeyPassword }),
  };
  return {
    type: "async",
    callMs: t.call,
    connectMs: t.connect,
    poolSize: t.poolSize,
    poolTtlMs: t.poolTtl,
    payloadMaxBytes: t.payloadMaxBytes,
    tls,
  };
}
