/**
 * A value type: a type name plus the codec between a TypeScript value and the
 * bytes that travel in a TypedValue. Message arguments, state values and egress
 * records are all typed this way, so function code never sees `any`.
 */
export interface Type<T> {
  readonly typename: string;
  serialize(value: T): Uint8Array;
  deserialize(bytes: Uint8Array): T;
}

/** The TypeScript value type carried by a `Type`. */
export type ValueOf<X> = X extends Type<infer T> ? T : never;
