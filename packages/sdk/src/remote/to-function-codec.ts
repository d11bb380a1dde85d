import { readToFunction, ProtocolDecodeError } from "@eddy/protocol/wire";
import { EddyError } from "../core/errors.js";
import type { Invocation, InvocationBatch, StateEntry } from "../function/invocation-batch.js";
import { fromWireAddress, fromWireTypedValue } from "./wire-values.js";
import { writeToFunction } from "./to-function-writer.js";

/*
 * InvocationBatch <-> ToFunction, the request body of the request-reply
 * protocol. The runtime encodes, a remote function decodes.
 */

/** Serializes a batch as the body of a request to a remote function. */
export function encodeInvocationBatch(batch: InvocationBatch): Uint8Array {
  return writeToFunction(batch);
}

/**
 * Parses the body of a request-reply request.
 * @throws EddyError EDDY_PROTOCOL_DECODE when the bytes are not a ToFunction carrying an invocation batch.
 */
export function decodeInvocationBatch(body: Uint8Array): InvocationBatch {
  let message;
  try {
    message = readToFunction(body);
  } catch (error) {
    const reason = error instanceof ProtocolDecodeError ? error.message : String(error);
    throw new EddyError("EDDY_PROTOCOL_DECODE", `request body is not a ToFunction: ${reason}`, { cause: error });
  }
  if (message.case !== "invocation") {
    throw new EddyError("EDDY_PROTOCOL_DECODE", "ToFunction carries no invocation batch");
  }
  const request = message.value;
  if (request.target === undefined) {
    throw new EddyError("EDDY_PROTOCOL_DECODE", "ToFunction invocation batch has no target address");
  }
  const states: StateEntry[] = request.state.map((s) => ({
    name: s.stateName,
    value: s.stateValue === undefined || !s.stateValue.hasValue ? undefined : fromWireTypedValue(s.stateValue),
  }));
  const invocations: Invocation[] = request.invocations.map((inv) => ({
    caller: inv.caller === undefined ? undefined : fromWireAddress(inv.caller),
    argument: fromWireTypedValue(inv.argument),
  }));
  return { target: fromWireAddress(request.target), states, invocations };
}
