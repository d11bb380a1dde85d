/**
 * A value as it travels between the runtime and functions: the name of its type
 * and its serialized bytes. `value` is undefined when there is no value at all,
 * which differs from a present value of zero bytes (e.g. the integer 0).
 */
export interface TypedValue {
  readonly typename: string;
  readonly value: Uint8Array | undefined;
}

export function typedValue(typename: string, value: Uint8Array | undefined): TypedValue {
  return { typename, value };
}
