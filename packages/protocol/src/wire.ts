// @eddy/protocol/wire: the request-reply bodies read without protobuf-es
// messages, for processes that need nothing else of the protocol. Importing it
// loads only protobuf-es's binary reader: not its reflection, not the generated
// schemas (which "@eddy/protocol" itself re-exports). The SDK and the runtime's
// start-up path import this entry; see docs/performance.md, section 4.

export { readFromFunction, WireExpireMode, WireMutationType } from "./from-function-reader.js";
export type {
  WireAddressFields,
  WireTypedValueFields,
  WireMutationFields,
  WireInvocationFields,
  WireDelayedFields,
  WireEgressFields,
  WireInvocationResponseFields,
  WireExpirationFields,
  WireValueSpecFields,
  WireFromFunctionResponse,
} from "./from-function-reader.js";
export { readToFunction } from "./to-function-reader.js";
export type { WireStateFields, WireCallFields, WireInvocationBatchFields, WireToFunctionRequest } from "./to-function-reader.js";
export { PROTOCOL_DECODE_ERROR_CODE, ProtocolDecodeError } from "./protocol-decode-error.js";
