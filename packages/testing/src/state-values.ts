import { Types } from "@eddy/sdk";
import type { DeclaredValue, StateDeclarations, StateEntry, Type, TypedValue } from "@eddy/sdk";

const BUILT_IN = new Map<string, Type<unknown>>(Object.values(Types).map((t) => [t.typename, t as Type<unknown>]));

/** What `stateOf` returns with declarations: each declared state decoded, undefined when absent. */
export type StateValues<S extends StateDeclarations> = { [K in keyof S]: DeclaredValue<S[K]> | undefined };

function typeOf(declaration: StateDeclarations[string]): Type<unknown> {
  return "serialize" in declaration ? declaration : declaration.type;
}

function bytes(value: TypedValue): Uint8Array {
  return value.value ?? new Uint8Array(0);
}

/** Built-in types decoded to their values; any other type stays a TypedValue. */
export function decodeUntyped(entries: readonly StateEntry[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const e of entries) {
    if (e.value === undefined) continue;
    const type = BUILT_IN.get(e.value.typename);
    out[e.name] = type === undefined ? e.value : type.deserialize(bytes(e.value));
  }
  return out;
}

/** Each declared state decoded with its own type (the same declarations the function uses). */
export function decodeDeclared<S extends StateDeclarations>(entries: readonly StateEntry[], declarations: S): StateValues<S> {
  const out: Record<string, unknown> = {};
  for (const [name, declaration] of Object.entries(declarations)) {
    const value = entries.find((e) => e.name === name)?.value;
    out[name] = value === undefined ? undefined : typeOf(declaration).deserialize(bytes(value));
  }
  return out as StateValues<S>;
}
