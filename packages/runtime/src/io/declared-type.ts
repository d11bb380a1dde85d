import { Types } from "@eddy/sdk";
import type { AcceptedType, TypedValue } from "@eddy/sdk";
import type { TargetProblem } from "../model/ingress.js";

const BUILTIN_TYPES = new Map<string, AcceptedType>(Object.values(Types).map((t) => [t.typename, t]));

/**
 * Why a value does not decode as the built-in type it declares (say
 * `io.statefun.types/int`), or undefined. Ingresses check this for every
 * function, with or without `accepts`: such bytes could only fail the address
 * again and again.
 */
export function builtinTypeProblem(argument: TypedValue): TargetProblem | undefined {
  const type = BUILTIN_TYPES.get(argument.typename);
  if (type === undefined) return undefined;
  try {
    type.deserialize(argument.value ?? new Uint8Array(0));
    return undefined;
  } catch (error) {
    return {
      code: "EDDY_DECODE_FAILED",
      message: `the body does not decode as ${argument.typename}: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}
