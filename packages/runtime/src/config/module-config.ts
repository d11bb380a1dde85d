// The validated, defaults-applied shape of a module.yaml file. Everything the
// runtime needs is here in its final form: durations in milliseconds, paths
// absolute, legacy layouts and v1/v2 differences already normalized, so no
// consumer ever looks at raw YAML again.

import type { HttpServerSpec } from "./http-server-spec.js";

/** Where a component (or a problem) sits in the module file; line and column are 1-based. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** A `namespace/name` string with exactly one `/` and non-empty parts, e.g. `example/greeter`. */
export type TypeNameString = string;

/**
 * The `functions` key of a binding: one function type (`ns/name`), or every
 * type in a namespace (`ns/*`). A specific binding wins over a namespace one.
 */
export type FunctionPattern =
  | { readonly kind: "function"; readonly text: string; readonly namespace: string; readonly name: string }
  | { readonly kind: "namespace"; readonly text: string; readonly namespace: string };

// ---------------------------------------------------------------------------
// Remote HTTP endpoints (io.statefun.endpoints.v1/http, io.statefun.endpoints.v2/http)

/** TLS material for the async transport; every path is absolute (or kept as `classpath:…`). */
export interface TlsSettings {
  readonly trustCaCerts?: string;
  readonly clientCert?: string;
  readonly clientKey?: string;
  /** A file location holding the key's password, not the password itself. */
  readonly clientKeyPassword?: string;
}

/** `io.statefun.transports.v1/async`, the v2 default since StateFun 3.2. */
export interface AsyncTransport {
  readonly type: "async";
  /** Total budget for one request, retries included (ms). */
  readonly call: number;
  /** Connect timeout per attempt, also the pool-acquire timeout (ms). */
  readonly connect: number;
  /** Pooled connection time-to-live (ms); 0 turns it off. */
  readonly poolTtl: number;
  readonly poolSize: number;
  readonly payloadMaxBytes: number;
  readonly tls: TlsSettings;
}

/** `io.statefun.transports.v1/okhttp`, and always the transport of v1 endpoints. */
export interface OkHttpTransport {
  readonly type: "okhttp";
  readonly call: number;
  readonly connect: number;
  readonly read: number;
  readonly write: number;
}

export type HttpTransport = AsyncTransport | OkHttpTransport;

/** For `http+unix://` and `https+unix://` templates: the socket and the request path behind it. */
export interface UnixSocketTarget {
  /** Absolute path of the socket file: every segment up to the first one ending in `.sock`. */
  readonly socketPath: string;
  /** What follows the socket path (still containing `{function.name}` if it did); `/` when empty. */
  readonly pathTemplate: string;
}

export interface HttpEndpointSpec {
  readonly functions: FunctionPattern;
  /** As written; `{function.name}` is substituted per request. */
  readonly urlPathTemplate: string;
  readonly scheme: "http" | "https" | "http+unix" | "https+unix";
  /** Present exactly when the scheme is a `+unix` one. */
  readonly unixSocket?: UnixSocketTarget;
  /** Backlog per address that triggers backpressure; ≤ 0 means no limit. */
  readonly maxNumBatchRequests: number;
  readonly transport: HttpTransport;
}

export interface HttpEndpointV1Component {
  readonly kind: "io.statefun.endpoints.v1/http";
  readonly location: SourceLocation;
  readonly spec: HttpEndpointSpec;
}

export interface HttpEndpointV2Component {
  readonly kind: "io.statefun.endpoints.v2/http";
  readonly location: SourceLocation;
  readonly spec: HttpEndpointSpec;
}

// ---------------------------------------------------------------------------
// Kafka (io.statefun.kafka.v1/ingress, io.statefun.kafka.v1/egress)

/** Where an ingress topic routes each record: the record key becomes the target id. */
export interface KafkaTopicRoute {
  readonly topic: string;
  readonly valueType: TypeNameString;
  readonly targets: readonly TypeNameString[];
}

export interface KafkaPartitionOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

export type KafkaStartupPosition =
  | { readonly type: "group-offsets" }
  | { readonly type: "earliest" }
  | { readonly type: "latest" }
  | { readonly type: "specific-offsets"; readonly offsets: readonly KafkaPartitionOffset[] }
  | { readonly type: "date"; readonly epochMillis: number };

export interface KafkaIngressSpec {
  readonly id: TypeNameString;
  /** Bootstrap servers: `address`, else `bootstrap.servers` from `properties`. */
  readonly address: string;
  /** `consumerGroupId`, else `group.id` from `properties`. */
  readonly consumerGroupId: string;
  readonly topics: readonly KafkaTopicRoute[];
  readonly startupPosition: KafkaStartupPosition;
  readonly autoOffsetResetPosition: "earliest" | "latest";
  /** Raw consumer config; the named keys above override it. */
  readonly properties: Readonly<Record<string, string>>;
}

export type KafkaDeliverySemantic =
  | { readonly type: "at-least-once" }
  | { readonly type: "none" }
  | { readonly type: "exactly-once"; /** The producer's `transaction.timeout.ms`. */ readonly transactionTimeout: number };

export interface KafkaEgressSpec {
  readonly id: TypeNameString;
  /** Bootstrap servers: `address`, else `bootstrap.servers` from `properties`. */
  readonly address: string;
  readonly deliverySemantic: KafkaDeliverySemantic;
  readonly properties: Readonly<Record<string, string>>;
}

export interface KafkaIngressComponent {
  readonly kind: "io.statefun.kafka.v1/ingress";
  readonly location: SourceLocation;
  readonly spec: KafkaIngressSpec;
}

export interface KafkaEgressComponent {
  readonly kind: "io.statefun.kafka.v1/egress";
  readonly location: SourceLocation;
  readonly spec: KafkaEgressSpec;
}

// ---------------------------------------------------------------------------
// Kinesis (io.statefun.kinesis.v1/ingress, io.statefun.kinesis.v1/egress)

export type AwsRegion =
  | { readonly type: "default" }
  | { readonly type: "specific"; readonly id: string }
  | { readonly type: "custom-endpoint"; readonly endpoint: string; readonly id: string };

export type AwsCredentials =
  | { readonly type: "default" }
  | { readonly type: "basic"; readonly accessKeyId: string; readonly secretAccessKey: string }
  | { readonly type: "profile"; readonly profileName: string; readonly profilePath?: string };

export type KinesisStartupPosition =
  | { readonly type: "earliest" }
  | { readonly type: "latest" }
  | { readonly type: "date"; readonly epochMillis: number };

/** Where a stream routes each record: the partition key becomes the target id. */
export interface KinesisStreamRoute {
  readonly stream: string;
  readonly valueType: TypeNameString;
  readonly targets: readonly TypeNameString[];
}

export interface KinesisIngressSpec {
  readonly id: TypeNameString;
  readonly awsRegion: AwsRegion;
  readonly awsCredentials: AwsCredentials;
  readonly startupPosition: KinesisStartupPosition;
  readonly streams: readonly KinesisStreamRoute[];
  readonly clientConfigProperties: Readonly<Record<string, string>>;
}

export interface KinesisEgressSpec {
  readonly id: TypeNameString;
  readonly awsRegion: AwsRegion;
  readonly awsCredentials: AwsCredentials;
  readonly maxOutstandingRecords: number;
  readonly clientConfigProperties: Readonly<Record<string, string>>;
}

export interface KinesisIngressComponent {
  readonly kind: "io.statefun.kinesis.v1/ingress";
  readonly location: SourceLocation;
  readonly spec: KinesisIngressSpec;
}

export interface KinesisEgressComponent {
  readonly kind: "io.statefun.kinesis.v1/egress";
  readonly location: SourceLocation;
  readonly spec: KinesisEgressSpec;
}

// ---------------------------------------------------------------------------
// Playground I/O (io.statefun.playground.v1/ingress, io.statefun.playground.v1/egress)

export const PLAYGROUND_INGRESS_ID = "io.statefun.playground/ingress";
export const PLAYGROUND_EGRESS_ID = "io.statefun.playground/egress";

export interface PlaygroundIngressSpec {
  /** Always `io.statefun.playground/ingress`; the playground fixes it. */
  readonly id: typeof PLAYGROUND_INGRESS_ID;
  readonly port: number;
  /** Eddy's keys: timeouts, sizes, allowed origins (docs/security.md). */
  readonly http: HttpServerSpec;
  /**
   * Eddy's key: when present, a `POST` waits for the function's reply and
   * answers with it (504 after `timeout` ms); `PUT` answers once accepted, as
   * always. Absent: `POST` behaves like `PUT`, as in the playground.
   */
  readonly requestReply?: RequestReplySpec;
}

export interface RequestReplySpec {
  /** How long a `POST` waits for the reply before it gets 504. */
  readonly timeout: number;
}

export interface PlaygroundEgressSpec {
  /** Always `io.statefun.playground/egress`; the playground fixes it. */
  readonly id: typeof PLAYGROUND_EGRESS_ID;
  readonly port: number;
  readonly topics: readonly string[];
  readonly http: HttpServerSpec;
}

export interface PlaygroundIngressComponent {
  readonly kind: "io.statefun.playground.v1/ingress";
  readonly location: SourceLocation;
  readonly spec: PlaygroundIngressSpec;
}

export interface PlaygroundEgressComponent {
  readonly kind: "io.statefun.playground.v1/egress";
  readonly location: SourceLocation;
  readonly spec: PlaygroundEgressSpec;
}

// ---------------------------------------------------------------------------
// Eddy's own kinds

/** Functions loaded into the runtime's own process from a JS/TS module. */
export interface EmbeddedFunctionsSpec {
  readonly functions: FunctionPattern;
  /** Absolute path of the module to import. */
  readonly module: string;
  /** The one export to use; when absent, every exported function definition is used. */
  readonly export?: string;
}

/** Functions served by a child process the runtime starts, supervises and restarts. */
export interface ColocatedFunctionsSpec {
  readonly functions: FunctionPattern;
  /** Program and arguments; never empty. */
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** Absolute working directory; defaults to the module file's directory. */
  readonly cwd: string;
  /** How the runtime talks to the process; it passes the address in `EDDY_LISTEN`. */
  readonly transport: "unix" | "tcp";
  /** Request path on the process (starts with `/`; may hold `{function.name}`). */
  readonly urlPathTemplate: string;
  readonly readiness: { readonly timeout: number };
  readonly restart: { readonly minBackoff: number; readonly maxBackoff: number };
  readonly maxNumBatchRequests: number;
  /** Total budget for one request, retries included (ms). */
  readonly call: number;
}

export interface RuntimeSettingsSpec {
  readonly partitions: number;
  readonly maxPendingMessages: number;
  readonly maxPendingEgressRecords: number;
}

/** How many failed attempts a message of the matching function types gets before it is parked. */
export interface QuarantineSpec {
  readonly functions: FunctionPattern;
  readonly afterAttempts: number;
}

export interface QuarantineComponent {
  readonly kind: "io.eddy.runtime.v1/quarantine";
  readonly location: SourceLocation;
  readonly spec: QuarantineSpec;
}

export interface EmbeddedFunctionsComponent {
  readonly kind: "io.eddy.functions.v1/embedded";
  readonly location: SourceLocation;
  readonly spec: EmbeddedFunctionsSpec;
}

export interface ColocatedFunctionsComponent {
  readonly kind: "io.eddy.functions.v1/colocated";
  readonly location: SourceLocation;
  readonly spec: ColocatedFunctionsSpec;
}

export interface RuntimeSettingsComponent {
  readonly kind: "io.eddy.runtime.v1/settings";
  readonly location: SourceLocation;
  readonly spec: RuntimeSettingsSpec;
}

// ---------------------------------------------------------------------------

export type ModuleComponent =
  | HttpEndpointV1Component
  | HttpEndpointV2Component
  | KafkaIngressComponent
  | KafkaEgressComponent
  | KinesisIngressComponent
  | KinesisEgressComponent
  | PlaygroundIngressComponent
  | PlaygroundEgressComponent
  | EmbeddedFunctionsComponent
  | ColocatedFunctionsComponent
  | RuntimeSettingsComponent
  | QuarantineComponent;

export type ComponentKind = ModuleComponent["kind"];

/** Components that bind function types, i.e. carry a `functions` pattern. */
export type FunctionBindingComponent =
  | HttpEndpointV1Component
  | HttpEndpointV2Component
  | EmbeddedFunctionsComponent
  | ColocatedFunctionsComponent;

export interface ModuleConfig {
  /** The file name as given to the loader; used in every message. */
  readonly file: string;
  /** In file order (for the legacy format: endpoints, then ingresses, then egresses). */
  readonly components: readonly ModuleComponent[];
}
