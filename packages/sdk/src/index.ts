/**
 * @eddy/sdk: write stateful functions for Eddy in TypeScript.
 *
 * The same function definitions run embedded in the runtime or remote, served
 * over StateFun's request-reply protocol. This package has no dependency on
 * the runtime.
 */
export { EddyError, ERROR_CODES, isEddyError } from "./core/errors.js";
export type { ErrorCode, EddyErrorOptions } from "./core/errors.js";
export { parseTypeName, isValidTypeName, checkTypeName } from "./core/type-name.js";
export type { TypeName } from "./core/type-name.js";
export { address, formatAddress, sameAddress } from "./core/address.js";
export type { Address } from "./core/address.js";
export { REPLY_NAMESPACE, isReplyAddress } from "./core/reply-address.js";
export { typedValue } from "./core/typed-value.js";
export type { TypedValue } from "./core/typed-value.js";

export type { Type, ValueOf } from "./types/type.js";
export {
  Types,
  BOOL_TYPENAME,
  INT_TYPENAME,
  LONG_TYPENAME,
  FLOAT_TYPENAME,
  DOUBLE_TYPENAME,
  STRING_TYPENAME,
} from "./types/builtin-types.js";
export { jsonType, protobufType, rawType } from "./types/custom-types.js";
export type { JsonTypeOptions, ProtobufCodec } from "./types/custom-types.js";

export type {
  Invocation,
  InvocationBatch,
  StateEntry,
  StateSpec,
  ExpireMode,
  StateMutation,
  OutgoingMessage,
  DelayedAction,
  EgressRecord,
  InvocationEffects,
  BatchOutcome,
} from "./function/invocation-batch.js";
export { checkStateName } from "./function/value-spec.js";
export type { ValueSpec, StateDeclaration, StateDeclarations, DeclaredValue } from "./function/value-spec.js";
export { Message } from "./function/message.js";
export type { Context, Storage } from "./function/context.js";
export { MAX_DELAY_MS } from "./function/context.js";
export { defineFunction, isStatefulFunction } from "./function/stateful-function.js";
export type { StatefulFunction, FunctionOptions, FunctionHandler, AcceptedType } from "./function/stateful-function.js";
export { message, stringMessage, egressMessage } from "./function/message-builders.js";
export type { MessageOptions, EgressMessageOptions } from "./function/message-builders.js";

export {
  playgroundEgressMessage,
  PlaygroundEgressRecordType,
  PLAYGROUND_EGRESS_ID,
} from "./egress/playground-egress-message.js";
export type { PlaygroundEgressRecord } from "./egress/playground-egress-message.js";
export {
  kafkaEgressMessage,
  kinesisEgressMessage,
  KAFKA_PRODUCER_RECORD_TYPENAME,
  KINESIS_EGRESS_RECORD_TYPENAME,
} from "./egress/connector-egress-messages.js";
export type { KafkaEgressMessageOptions, KinesisEgressMessageOptions } from "./egress/connector-egress-messages.js";

export { defineModule, isEddyModule } from "./module/module.js";
export type {
  EddyModule,
  Binder,
  Router,
  RoutedMessage,
  IngressRecord,
  CustomIngress,
  CustomEgress,
} from "./module/module.js";

export { requestReplyHandler } from "./remote/request-reply-handler.js";
export type { RequestReplyHandler } from "./remote/request-reply-handler.js";
export { nodeHttpHandler } from "./remote/node-http-handler.js";
export { fetchHandler } from "./remote/fetch-handler.js";
export { encodeInvocationBatch, decodeInvocationBatch } from "./remote/to-function-codec.js";
export { encodeBatchOutcome, decodeBatchOutcome, UNSET_STATE_TYPENAME } from "./remote/from-function-codec.js";
