import { BinaryReader } from "@bufbuild/protobuf/wire";
import { ProtocolDecodeError } from "./protocol-decode-error.js";
import { readAddress, readMessage, readTypedValue } from "./wire-message-reader.js";
import type { WireAddressFields, WireTypedValueFields } from "./wire-message-reader.js";

/*
 * FromFunction bytes → plain objects with the fields of the generated
 * messages, read with protobuf-es's BinaryReader but without creating
 * protobuf-es messages: the runtime decodes one of these per remote call, and
 * creating the reflective messages was most of that cost (docs/performance.md,
 * section 7). Reading follows protobuf-es's fromBinary: fields by number
 * whatever their wire type, unknown fields skipped, a repeated sub-message
 * field appended, a singular one (and the oneof's case) merged when it
 * appears again, strict UTF-8 for strings, the same errors for bad bytes
 * (test/from-function-reader.test.ts compares the two). It imports neither
 * protobuf-es's reflection nor the generated schemas, so a process that only
 * reads and writes request-reply bodies loads neither (@eddy/protocol/wire).
 */

export type { WireAddressFields, WireTypedValueFields } from "./wire-message-reader.js";

/** FromFunction.PersistedValueMutation.MutationType. */
export const WireMutationType = { DELETE: 0, MODIFY: 1 } as const;
/** FromFunction.ExpirationSpec.ExpireMode. */
export const WireExpireMode = { NONE: 0, AFTER_WRITE: 1, AFTER_INVOKE: 2 } as const;

const FROM_FUNCTION_TYPE_NAME = "io.statefun.sdk.reqreply.FromFunction";

export interface WireMutationFields {
  /** Any int32 (WireMutationType's values, or others: proto3 enums are open, the SDK refuses values it does not know). */
  mutationType: number;
  stateName: string;
  stateValue: WireTypedValueFields | undefined;
}

export interface WireInvocationFields {
  target: WireAddressFields | undefined;
  argument: WireTypedValueFields | undefined;
}

export interface WireDelayedFields {
  isCancellationRequest: boolean;
  cancellationToken: string;
  delayInMs: bigint;
  target: WireAddressFields | undefined;
  argument: WireTypedValueFields | undefined;
}

export interface WireEgressFields {
  egressNamespace: string;
  egressType: string;
  argument: WireTypedValueFields | undefined;
}

export interface WireInvocationResponseFields {
  stateMutations: WireMutationFields[];
  outgoingMessages: WireInvocationFields[];
  delayedInvocations: WireDelayedFields[];
  outgoingEgresses: WireEgressFields[];
}

export interface WireExpirationFields {
  /** Any int32 (WireExpireMode's values, or others), as mutationType. */
  mode: number;
  expireAfterMillis: bigint;
}

export interface WireValueSpecFields {
  stateName: string;
  expirationSpec: WireExpirationFields | undefined;
  typeTypename: string;
}

export type WireFromFunctionResponse =
  | { case: undefined; value?: undefined }
  | { case: "invocationResult"; value: WireInvocationResponseFields }
  | { case: "incompleteInvocationContext"; value: { missingValues: WireValueSpecFields[] } };

function readMutation(r: BinaryReader, depth: number): WireMutationFields {
  const m: WireMutationFields = { mutationType: 0, stateName: "", stateValue: undefined };
  readMessage(r, r.uint32(), depth, (no) => {
    if (no === 1) m.mutationType = r.int32();
    else if (no === 2) m.stateName = r.string(true);
    else if (no === 3) m.stateValue = readTypedValue(r, depth + 1, m.stateValue);
    else return false;
    return true;
  });
  return m;
}

function readInvocation(r: BinaryReader, depth: number): WireInvocationFields {
  const m: WireInvocationFields = { target: undefined, argument: undefined };
  readMessage(r, r.uint32(), depth, (no) => {
    if (no === 1) m.target = readAddress(r, depth + 1, m.target);
    else if (no === 2) m.argument = readTypedValue(r, depth + 1, m.argument);
    else return false;
    return true;
  });
  return m;
}

function readDelayed(r: BinaryReader, depth: number): WireDelayedFields {
  const d: WireDelayedFields = { isCancellationRequest: false, cancellationToken: "", delayInMs: 0n, target: undefined, argument: undefined };
  readMessage(r, r.uint32(), depth, (no) => {
    if (no === 10) d.isCancellationRequest = r.bool();
    else if (no === 11) d.cancellationToken = r.string(true);
    else if (no === 1) d.delayInMs = BigInt(r.int64());
    else if (no === 2) d.target = readAddress(r, depth + 1, d.target);
    else if (no === 3) d.argument = readTypedValue(r, depth + 1, d.argument);
    else return false;
    return true;
  });
  return d;
}

function readEgress(r: BinaryReader, depth: number): WireEgressFields {
  const e: WireEgressFields = { egressNamespace: "", egressType: "", argument: undefined };
  readMessage(r, r.uint32(), depth, (no) => {
    if (no === 1) e.egressNamespace = r.string(true);
    else if (no === 2) e.egressType = r.string(true);
    else if (no === 3) e.argument = readTypedValue(r, depth + 1, e.argument);
    else return false;
    return true;
  });
  return e;
}

function readInvocationResponse(r: BinaryReader, depth: number, into?: WireInvocationResponseFields): WireInvocationResponseFields {
  const m = into ?? { stateMutations: [], outgoingMessages: [], delayedInvocations: [], outgoingEgresses: [] };
  readMessage(r, r.uint32(), depth, (no) => {
    if (no === 1) m.stateMutations.push(readMutation(r, depth + 1));
    else if (no === 2) m.outgoingMessages.push(readInvocation(r, depth + 1));
    else if (no === 3) m.delayedInvocations.push(readDelayed(r, depth + 1));
    else if (no === 4) m.outgoingEgresses.push(readEgress(r, depth + 1));
    else return false;
    return true;
  });
  return m;
}

function readExpiration(r: BinaryReader, depth: number, into?: WireExpirationFields): WireExpirationFields {
  const s = into ?? { mode: 0, expireAfterMillis: 0n };
  readMessage(r, r.uint32(), depth, (no) => {
    if (no === 1) s.mode = r.int32();
    else if (no === 2) s.expireAfterMillis = BigInt(r.int64());
    else return false;
    return true;
  });
  return s;
}

function readValueSpec(r: BinaryReader, depth: number): WireValueSpecFields {
  const s: WireValueSpecFields = { stateName: "", expirationSpec: undefined, typeTypename: "" };
  readMessage(r, r.uint32(), depth, (no) => {
    if (no === 1) s.stateName = r.string(true);
    else if (no === 2) s.expirationSpec = readExpiration(r, depth + 1, s.expirationSpec);
    else if (no === 3) s.typeTypename = r.string(true);
    else return false;
    return true;
  });
  return s;
}

function readIncomplete(r: BinaryReader, depth: number, into?: { missingValues: WireValueSpecFields[] }): { missingValues: WireValueSpecFields[] } {
  const m = into ?? { missingValues: [] };
  readMessage(r, r.uint32(), depth, (no) => {
    if (no !== 1) return false;
    m.missingValues.push(readValueSpec(r, depth + 1));
    return true;
  });
  return m;
}

/**
 * Parses a function → runtime response body.
 * @throws ProtocolDecodeError when the bytes are not a valid encoding.
 */
export function readFromFunction(bytes: Uint8Array): WireFromFunctionResponse {
  let response: WireFromFunctionResponse = { case: undefined };
  try {
    const r = new BinaryReader(bytes);
    readMessage(r, bytes.byteLength, 1, (no) => {
      if (no === 100) {
        response = { case: "invocationResult", value: readInvocationResponse(r, 2, response.case === "invocationResult" ? response.value : undefined) };
      } else if (no === 101) {
        response = { case: "incompleteInvocationContext", value: readIncomplete(r, 2, response.case === "incompleteInvocationContext" ? response.value : undefined) };
      } else return false;
      return true;
    });
  } catch (err: unknown) {
    throw new ProtocolDecodeError(FROM_FUNCTION_TYPE_NAME, bytes.byteLength, err);
  }
  return response;
}
