// Public surface of the module.yaml loader.

export { loadModuleFile, parseModuleYaml } from "./module-loader.js";
export type { ParseModuleOptions } from "./module-loader.js";
export { formatDuration, parseDuration, tryParseDuration } from "./duration.js";
export type { DurationResult } from "./duration.js";
export { ModuleConfigError, formatProblem } from "./errors.js";
export type { ConfigProblem } from "./errors.js";
export { findFunctionBinding, functionBindings } from "./function-binding.js";
export { KNOWN_KINDS } from "./component-kinds.js";
export { ASYNC_TRANSPORT_TYPE, OKHTTP_TRANSPORT_TYPE } from "./endpoint-spec.js";
export { PLAYGROUND_EGRESS_ID, PLAYGROUND_INGRESS_ID } from "./module-config.js";
export { HTTP_SERVER_DEFAULTS } from "./http-server-spec.js";
export { kafkaTopicNameProblem } from "./kafka-topic-name.js";
export type { HttpServerLimits, HttpServerSpec } from "./http-server-spec.js";
export type {
  AsyncTransport,
  AwsCredentials,
  AwsRegion,
  ColocatedFunctionsComponent,
  ColocatedFunctionsSpec,
  ComponentKind,
  EmbeddedFunctionsComponent,
  EmbeddedFunctionsSpec,
  FunctionBindingComponent,
  FunctionPattern,
  HttpEndpointSpec,
  HttpEndpointV1Component,
  HttpEndpointV2Component,
  HttpTransport,
  KafkaDeliverySemantic,
  KafkaEgressComponent,
  KafkaEgressSpec,
  KafkaIngressComponent,
  KafkaIngressSpec,
  KafkaPartitionOffset,
  KafkaStartupPosition,
  KafkaTopicRoute,
  KinesisEgressComponent,
  KinesisEgressSpec,
  KinesisIngressComponent,
  KinesisIngressSpec,
  KinesisStartupPosition,
  KinesisStreamRoute,
  ModuleComponent,
  ModuleConfig,
  OkHttpTransport,
  PlaygroundEgressComponent,
  PlaygroundEgressSpec,
  PlaygroundIngressComponent,
  PlaygroundIngressSpec,
  RuntimeSettingsComponent,
  RuntimeSettingsSpec,
  SourceLocation,
  TlsSettings,
  TypeNameString,
  UnixSocketTarget,
} from "./module-config.js";
