import { BinaryReader } from "@bufbuild/protobuf/wire";
import { ProtocolDecodeError } from "./protocol-decode-error.js";
import { readAddress, readMessage, readTypedValue } from "./wire-message-reader.js";
import type { WireAddressFields, WireTypedValueFields } from "./wire-message-reader.js";

/*
 * ToFunction bytes → plain objects with the fields of the generated messages,
 * without protobuf-es messages: a remote function reads one per request, and
 * a function process that imports neither protobuf-es's reflection nor the
 * generated schemas starts faster. Reading follows protobuf-es's fromBinary
 * (test/to-function-reader.test.ts compares the two).
 */

export interface WireStateFields {
  stateName: string;
  stateValue: WireTypedValueFields | undefined;
}

export interface WireCallFields {
  caller: WireAddressFields | undefined;
  argument: WireTypedValueFields | undefined;
}

export interface WireInvocationBatchFields {
  target: WireAddressFields | undefined;
  state: WireStateFields[];
  invocations: WireCallFields[];
}

export type WireToFunctionRequest = { case: undefined; value?: undefined } | { case: "invocation"; value: WireInvocationBatchFields };

const TO_FUNCTION_TYPE_NAME = "io.statefun.sdk.reqreply.ToFunction";

function readState(r: BinaryReader, depth: number): WireStateFields {
  const s: WireStateFields = { stateName: "", stateValue: undefined };
  readMessage(r, r.uint32(), depth, (no) => {
    if (no === 1) s.stateName = r.string(true);
    else if (no === 2) s.stateValue = readTypedValue(r, depth + 1, s.stateValue);
    else return false;
    return true;
  });
  return s;
}

function readCall(r: BinaryReader, depth: number): WireCallFields {
  const c: WireCallFields = { caller: undefined, argument: undefined };
  readMessage(r, r.uint32(), depth, (no) => {
    if (no === 1) c.caller = readAddress(r, depth + 1, c.caller);
    else if (no === 2) c.argument = readTypedValue(r, depth + 1, c.argument);
    else return false;
    return true;
  });
  return c;
}

function readBatch(r: BinaryReader, depth: number, into?: WireInvocationBatchFields): WireInvocationBatchFields {
  const b = into ?? { target: undefined, state: [], invocations: [] };
  readMessage(r, r.uint32(), depth, (no) => {
    if (no === 1) b.target = readAddress(r, depth + 1, b.target);
    else if (no === 2) b.state.push(readState(r, depth + 1));
    else if (no === 3) b.invocations.push(readCall(r, depth + 1));
    else return false;
    return true;
  });
  return b;
}

/**
 * Parses a runtime → function request body.
 * @throws ProtocolDecodeError when the bytes are not a valid encoding.
 */
export function readToFunction(bytes: Uint8Array): WireToFunctionRequest {
  let request: WireToFunctionRequest = { case: undefined };
  try {
    const r = new BinaryReader(bytes);
    readMessage(r, bytes.byteLength, 1, (no) => {
      if (no !== 100) return false;
      request = { case: "invocation", value: readBatch(r, 2, request.case === "invocation" ? request.value : undefined) };
      return true;
    });
  } catch (err: unknown) {
    throw new ProtocolDecodeError(TO_FUNCTION_TYPE_NAME, bytes.byteLength, err);
  }
  return request;
}
