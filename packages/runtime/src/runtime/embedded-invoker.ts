import type { AcceptedType, StatefulFunction, TypedValue } from "@eddy/sdk";
import type { FunctionInvoker } from "./function-invoker.js";

/** Runs a TypeScript function in the runtime's own process: no copy, no network. */
export function embeddedInvoker(fn: StatefulFunction, maxBacklog = 0): FunctionInvoker {
  const accepts: readonly AcceptedType[] = fn.acceptedTypes;
  const byName = new Map(accepts.map((t) => [t.typename, t]));
  const invoker: FunctionInvoker = {
    description: "embedded",
    stateSpecs: fn.stateSpecs,
    maxBacklog,
    invoke: (batch) => fn.invoke(batch),
  };
  if (accepts.length > 0) {
    invoker.checkArgument = (argument: TypedValue) => {
      const type = byName.get(argument.typename);
      if (type === undefined) {
        return { code: "EDDY_TYPE_MISMATCH", message: `${fn.typename} accepts ${[...byName.keys()].join(", ")}, not ${argument.typename}` };
      }
      try {
        type.deserialize(argument.value ?? new Uint8Array(0));
        return undefined;
      } catch (error) {
        return { code: "EDDY_DECODE_FAILED", message: error instanceof Error ? error.message : String(error) };
      }
    };
  }
  return invoker;
}
