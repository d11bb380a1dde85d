/**
 * @eddy/runtime: the Eddy runtime as a library. The CLI (`eddy run`) builds
 * one from a module.yaml; tests and applications can build one in code.
 */
export { Runtime } from "./runtime/runtime.js";
export type { RuntimeOptions } from "./runtime/runtime.js";
export type { FunctionInvoker, FunctionProvider } from "./runtime/function-invoker.js";
export { FunctionRegistry } from "./runtime/function-registry.js";
export { embeddedInvoker } from "./runtime/embedded-invoker.js";
export { ManualClock, systemClock } from "./runtime/clock.js";
export type { Clock } from "./runtime/clock.js";
export type { RetryPolicy } from "./runtime/retry-policy.js";
export { partitionOf } from "./runtime/partitioner.js";
export type { StateStore } from "./store/state-store.js";
export type { CommitUnit, DelayedMessage, DelayedOperation } from "./store/commit-unit.js";
export { MemoryStateStore } from "./store/memory-state-store.js";
export type { Egress } from "./io/egress.js";
export type { Ingress, IngressSink } from "./io/ingress.js";
export { PlaygroundIngress, PLAYGROUND_INGRESS_ID, parseTargetPath } from "./io/playground/playground-ingress.js";
export type { PlaygroundIngressOptions } from "./io/playground/playground-ingress.js";
export { PlaygroundEgress } from "./io/playground/playground-egress.js";
export type { PlaygroundEgressOptions } from "./io/playground/playground-egress.js";
export { createLogger, silentLogger } from "./log/logger.js";
export type { Logger } from "./log/logger.js";
export { loadModuleFile, parseModuleYaml, parseDuration, ModuleConfigError, KNOWN_KINDS } from "./config/index.js";
export type { ModuleConfig, ModuleComponent, ConfigProblem, SourceLocation } from "./config/index.js";
export { buildRuntime } from "./app/build-runtime.js";
export type { BuildRuntimeOptions } from "./app/build-runtime.js";
export { remoteInvoker, DEFAULT_MAX_BACKLOG } from "./remote/remote-invoker.js";
export type { RemoteInvokerOptions } from "./remote/remote-invoker.js";
export { EndpointPools } from "./remote/endpoint-pools.js";
export { functionUrl, FUNCTION_NAME_PLACEHOLDER } from "./remote/endpoint-url.js";
export type { TransportOptions, AsyncTransportOptions, OkHttpTransportOptions, TlsFiles } from "./remote/transport-options.js";
export { LmdbStateStore, STORE_FORMAT_VERSION } from "./store/lmdb-state-store.js";
export type { LmdbStateStoreOptions, SnapshotRecord } from "./store/lmdb-state-store.js";
export { exportSnapshot, importSnapshot } from "./store/snapshot.js";
export type { RecoveredState } from "./store/state-store.js";
export type { OutboxRecord } from "./store/commit-unit.js";
export type { EgressContext } from "./io/egress.js";
export type { InputPosition } from "./io/ingress.js";
export { ColocatedProcess } from "./colocated/colocated-process.js";
export { ConcurrencyLimit } from "./remote/concurrency-limit.js";
export { AdminServer, DEFAULT_ADMIN_PORT, DEFAULT_ADMIN_HOST } from "./admin/admin-server.js";
export type { AdminServerOptions } from "./admin/admin-server.js";
export { AdminHttpError } from "./admin/admin-route.js";
export type { AdminRoute, AdminRouteDoc, AdminRequest, AdminReply, AdminMethod } from "./admin/admin-route.js";
export { jsonResponse, errorResponse, ADMIN_SCHEMAS } from "./admin/admin-schemas.js";
export { createRuntimeAdmin } from "./admin/runtime-admin.js";
