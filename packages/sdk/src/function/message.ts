import { EddyError } from "../core/errors.js";
import type { TypedValue } from "../core/typed-value.js";
import { Types } from "../types/builtin-types.js";
import type { Type } from "../types/type.js";

const EMPTY = new Uint8Array(0);

/** A message received by a function: a typed value it can test and decode. */
export class Message {
  readonly #argument: TypedValue;

  constructor(argument: TypedValue) {
    this.#argument = argument;
  }

  get typename(): string {
    return this.#argument.typename;
  }

  /** The serialized bytes (empty when the sender sent no value). */
  get rawValue(): Uint8Array {
    return this.#argument.value ?? EMPTY;
  }

  get typedValue(): TypedValue {
    return this.#argument;
  }

  is<T>(type: Type<T>): boolean {
    return this.#argument.typename === type.typename;
  }

  /** Decodes the value as `type`; throws EDDY_TYPE_MISMATCH if the message has another type. */
  as<T>(type: Type<T>): T {
    if (this.#argument.typename !== type.typename) {
      throw new EddyError(
        "EDDY_TYPE_MISMATCH",
        `message has type ${this.#argument.typename}, not ${type.typename}`,
      );
    }
    return type.deserialize(this.#argument.value ?? EMPTY);
  }

  isString(): boolean {
    return this.is(Types.string);
  }

  asString(): string {
    return this.as(Types.string);
  }

  isInt(): boolean {
    return this.is(Types.int);
  }

  asInt(): number {
    return this.as(Types.int);
  }
}
