import { readFromFunction, ProtocolDecodeError, WireExpireMode, WireMutationType } from "@eddy/protocol/wire";
import type {
  WireDelayedFields,
  WireExpirationFields,
  WireInvocationResponseFields,
  WireMutationFields,
  WireValueSpecFields,
} from "@eddy/protocol/wire";
import { EddyError } from "../core/errors.js";
import type {
  BatchOutcome,
  DelayedAction,
  ExpireMode,
  InvocationEffects,
  StateMutation,
  StateSpec,
} from "../function/invocation-batch.js";
import { fromWireAddress, fromWireTypedValue } from "./wire-values.js";
import { writeFromFunction } from "./from-function-writer.js";

/*
 * BatchOutcome <-> FromFunction, the response body of the request-reply
 * protocol. A remote function encodes, the runtime decodes. Decoding is strict
 * about what StateFun would fail the job on (unknown enum values, messages
 * without a target), so a bad response never turns into half-applied effects.
 */

/** StateFun's fallback when a function declares a state without a type. */
export const UNSET_STATE_TYPENAME = "io.statefun.types/unset";

const EMPTY = new Uint8Array(0);

/** Serializes an outcome as the body of a request-reply response. */
export function encodeBatchOutcome(outcome: BatchOutcome): Uint8Array {
  return writeFromFunction(outcome);
}

function invalid(message: string): EddyError {
  return new EddyError("EDDY_PROTOCOL_DECODE", message);
}

/**
 * Parses the body of a request-reply response. An empty body (no oneof set)
 * is a completed batch with no effects.
 * @throws EddyError EDDY_PROTOCOL_DECODE when the bytes are not a valid FromFunction.
 */
export function decodeBatchOutcome(body: Uint8Array): BatchOutcome {
  let message;
  try {
    message = readFromFunction(body);
  } catch (error) {
    const reason = error instanceof ProtocolDecodeError ? error.message : String(error);
    throw new EddyError("EDDY_PROTOCOL_DECODE", `body is not a FromFunction: ${reason}`, { cause: error });
  }
  switch (message.case) {
    case undefined:
      return { kind: "completed", effects: { mutations: [], messages: [], delayed: [], egress: [] } };
    case "incompleteInvocationContext":
      return { kind: "incomplete", missing: message.value.missingValues.map(fromWireSpec) };
    case "invocationResult":
      return { kind: "completed", effects: fromWireResponse(message.value) };
  }
}

function fromWireSpec(s: WireValueSpecFields): StateSpec {
  const { expireMode, expireAfterMs } = fromWireExpiration(s.stateName, s.expirationSpec);
  return {
    name: s.stateName,
    typename: s.typeTypename === "" ? UNSET_STATE_TYPENAME : s.typeTypename,
    expireMode,
    expireAfterMs,
  };
}

function fromWireExpiration(
  state: string,
  spec: WireExpirationFields | undefined,
): { expireMode: ExpireMode; expireAfterMs: number } {
  if (spec === undefined || spec.mode === WireExpireMode.NONE) return { expireMode: "none", expireAfterMs: 0 };
  const ms = Number(spec.expireAfterMillis);
  if (ms < 0) throw invalid(`state "${state}" declares a negative TTL of ${ms} ms`);
  switch (spec.mode) {
    case WireExpireMode.AFTER_WRITE:
      return { expireMode: "after-write", expireAfterMs: ms };
    case WireExpireMode.AFTER_INVOKE:
      return { expireMode: "after-invoke", expireAfterMs: ms };
    default:
      throw invalid(`state "${state}" declares unknown expiration mode ${String(spec.mode)}`);
  }
}

function fromWireResponse(r: WireInvocationResponseFields): InvocationEffects {
  return {
    mutations: r.stateMutations.map(fromWireMutation),
    messages: r.outgoingMessages.map((m, i) => {
      if (m.target === undefined) throw invalid(`outgoing message #${i} has no target address`);
      return { target: fromWireAddress(m.target), argument: fromWireTypedValue(m.argument) };
    }),
    delayed: r.delayedInvocations.map(fromWireDelayed),
    egress: r.outgoingEgresses.map((e) => ({
      egress: `${e.egressNamespace}/${e.egressType}`,
      argument: fromWireTypedValue(e.argument),
    })),
  };
}

function fromWireMutation(m: WireMutationFields): StateMutation {
  switch (m.mutationType) {
    case WireMutationType.DELETE:
      return { kind: "delete", name: m.stateName };
    case WireMutationType.MODIFY:
      // Like StateFun, the bytes are stored whatever has_value says: a written state has a value.
      return {
        kind: "modify",
        name: m.stateName,
        value: { typename: m.stateValue?.typename ?? "", value: m.stateValue?.value ?? EMPTY },
      };
    default:
      throw invalid(
        `state mutation for "${m.stateName}" has unknown mutation type ${String(m.mutationType)} (expected DELETE=0 or MODIFY=1)`,
      );
  }
}

function fromWireDelayed(d: WireDelayedFields, i: number): DelayedAction {
  // For a cancellation only the token is meaningful; StateFun ignores the other fields.
  if (d.isCancellationRequest) return { kind: "cancel", cancellationToken: d.cancellationToken };
  if (d.target === undefined) throw invalid(`delayed message #${i} has no target address`);
  return {
    kind: "send",
    delayMs: Number(d.delayInMs),
    target: fromWireAddress(d.target),
    argument: fromWireTypedValue(d.argument),
    cancellationToken: d.cancellationToken,
  };
}
