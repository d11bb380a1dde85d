import type { Address } from "../core/address.js";
import { address as makeAddress } from "../core/address.js";
import { checkTypeName } from "../core/type-name.js";
import { Types } from "../types/builtin-types.js";
import type { Type } from "../types/type.js";
import type { EgressRecord, OutgoingMessage } from "./invocation-batch.js";

export interface MessageOptions<T> {
  /** The target address, or its function type and id. */
  readonly to: Address;
  readonly value: T;
  readonly type: Type<T>;
}

/**
 * Builds a message to another function (or to the sender itself).
 *
 * @example
 * ctx.send(message({ to: address("apache/greeter", id), value: { who }, type: GreetRequestType }));
 */
export function message<T>(options: MessageOptions<T>): OutgoingMessage {
  const target = makeAddress(options.to.type, options.to.id);
  return { target, argument: { typename: options.type.typename, value: options.type.serialize(options.value) } };
}

/** A string message, typed `io.statefun.types/string` as the official SDKs type strings. */
export function stringMessage(to: Address, value: string): OutgoingMessage {
  return message({ to, value, type: Types.string });
}

export interface EgressMessageOptions<T> {
  /** The egress id, `namespace/name`. */
  readonly egress: string;
  readonly value: T;
  readonly type: Type<T>;
}

/** Builds a record for any egress; use the specific builders for playground, Kafka and Kinesis. */
export function egressMessage<T>(options: EgressMessageOptions<T>): EgressRecord {
  checkTypeName(options.egress);
  return { egress: options.egress, argument: { typename: options.type.typename, value: options.type.serialize(options.value) } };
}
