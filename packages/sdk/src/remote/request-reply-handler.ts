import { EddyError } from "../core/errors.js";
import type { StatefulFunction } from "../function/stateful-function.js";
import { isStatefulFunction } from "../function/stateful-function.js";
import { encodeBatchOutcome } from "./from-function-codec.js";
import { decodeInvocationBatch } from "./to-function-codec.js";

/** Serves StateFun's request-reply protocol for a set of functions, independent of any HTTP server. */
export interface RequestReplyHandler {
  /**
   * Runs one ToFunction request body and resolves to the FromFunction response
   * body. Rejects with an EddyError for an undecodable body, an unknown target
   * type, or a function that threw; HTTP adapters turn that into a 500.
   */
  handle(body: Uint8Array): Promise<Uint8Array>;
}

/**
 * Dispatches on the request's target type, as every official SDK does: the URL
 * path is never looked at, so one handler can serve any `urlPathTemplate`.
 */
export function requestReplyHandler(functions: readonly StatefulFunction[]): RequestReplyHandler {
  const byType = new Map<string, StatefulFunction>();
  for (const fn of functions) {
    if (!isStatefulFunction(fn)) {
      throw new EddyError("EDDY_CONFIG_INVALID", "requestReplyHandler takes functions made with defineFunction");
    }
    if (byType.has(fn.typename)) {
      throw new EddyError("EDDY_CONFIG_INVALID", `function type ${fn.typename} is given twice to requestReplyHandler`);
    }
    byType.set(fn.typename, fn);
  }
  return {
    async handle(body: Uint8Array): Promise<Uint8Array> {
      const batch = decodeInvocationBatch(body);
      const fn = byType.get(batch.target.type);
      if (fn === undefined) {
        throw new EddyError(
          "EDDY_UNKNOWN_FUNCTION",
          `no function of type ${batch.target.type} is served here (served: ${[...byType.keys()].join(", ") || "none"})`,
        );
      }
      return encodeBatchOutcome(await fn.invoke(batch));
    },
  };
}
