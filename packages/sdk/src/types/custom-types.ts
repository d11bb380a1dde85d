import { EddyError } from "../core/errors.js";
import { checkTypeName } from "../core/type-name.js";
import type { Type } from "./type.js";
import { utf8Decoder, utf8Encoder } from "./wire.js";

export interface JsonTypeOptions<T> {
  /**
   * Checks a decoded value before function code sees it. Without it, the JSON
   * is trusted to have the declared shape, as the official SDKs do.
   */
  readonly validate?: (value: unknown) => value is T;
}

/**
 * A type whose values are UTF-8 JSON, as the official SDKs' `jsonType` /
 * `make_json_type`. The bytes are interchangeable with those SDKs.
 *
 * @example
 * interface GreetRequest { who: string }
 * const GreetRequestType = jsonType<GreetRequest>("apache/GreetRequest");
 */
export function jsonType<T>(typename: string, options: JsonTypeOptions<T> = {}): Type<T> {
  checkTypeName(typename);
  const { validate } = options;
  return {
    typename,
    serialize: (value) => utf8Encoder.encode(JSON.stringify(value)),
    deserialize(bytes) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(utf8Decoder.decode(bytes));
      } catch (cause) {
        throw new EddyError("EDDY_DECODE_FAILED", `cannot decode ${typename}: the bytes are not valid UTF-8 JSON`, {
          cause,
        });
      }
      if (validate !== undefined && !validate(parsed)) {
        throw new EddyError("EDDY_DECODE_FAILED", `cannot decode ${typename}: the JSON does not have the expected shape`);
      }
      return parsed as T;
    },
  };
}

/** The encode/decode pair of a protobuf message class from any protobuf library. */
export interface ProtobufCodec<T> {
  encode(message: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

/**
 * A protobuf message type. Pass the codec of your generated class, e.g. with
 * protobuf-es: `{ encode: (m) => toBinary(UserSchema, m), decode: (b) => fromBinary(UserSchema, b) }`.
 * The official SDKs name such types `type.googleapis.com/<full.proto.Name>`.
 */
export function protobufType<T>(typename: string, codec: ProtobufCodec<T>): Type<T> {
  checkTypeName(typename);
  return {
    typename,
    serialize: (value) => codec.encode(value),
    deserialize(bytes) {
      try {
        return codec.decode(bytes);
      } catch (cause) {
        throw new EddyError("EDDY_DECODE_FAILED", `cannot decode ${typename} as protobuf`, { cause });
      }
    },
  };
}

/** A type that hands the bytes through unchanged (for payloads the function parses itself). */
export function rawType(typename: string): Type<Uint8Array> {
  checkTypeName(typename);
  return { typename, serialize: (v) => v, deserialize: (b) => b };
}
