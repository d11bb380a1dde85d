import type { BatchOutcome, DelayedAction, EgressRecord, OutgoingMessage, StateMutation, StateSpec } from "../function/invocation-batch.js";
import type { TypedValue } from "../core/typed-value.js";
import { fieldSize, int64Size, LEN, stringFieldSize, typedValueSize, varintSize, wireAddress, WireWriter } from "./wire-writer.js";
import type { WireAddress } from "./wire-writer.js";
import { splitTypeName } from "./wire-values.js";

/*
 * BatchOutcome → FromFunction bytes without protobuf-es messages: a remote
 * function writes one per request, and a function process that imports no
 * protobuf-es starts faster (the runtime's import was a third protobuf-es).
 * The bytes are those protobuf-es writes for the same outcome;
 * test/remote/from-function-writer.test.ts compares the two.
 */

/** FromFunction.invocation_result (100) and incomplete_invocation_context (101), length-delimited: two-byte tags. */
const INVOCATION_RESULT_TAG = (100 << 3) | LEN;
const INCOMPLETE_CONTEXT_TAG = (101 << 3) | LEN;
/** PersistedValueMutation.MutationType: DELETE = 0 (the default, so never written), MODIFY = 1. */
const MUTATION_MODIFY = 1;
/** FromFunction.ExpirationSpec.ExpireMode: NONE = 0, AFTER_WRITE = 1, AFTER_INVOKE = 2. */
const EXPIRE_MODE: Record<StateSpec["expireMode"], number> = { none: 0, "after-write": 1, "after-invoke": 2 };
const EMPTY = new Uint8Array(0);

/** A sub-message as it will be written: its own size, and what goes in it. */
interface Sized<T> {
  readonly size: number;
  readonly item: T;
}

interface MutationPlan {
  readonly mutation: StateMutation;
  /** The value written (a written state always has one, even of zero bytes), and its size. */
  readonly value: TypedValue | undefined;
  readonly valueSize: number;
}

interface TargetedPlan {
  readonly target: WireAddress;
  readonly argument: TypedValue;
  readonly argumentSize: number;
}

/** A delayed send, or a cancellation (which carries only its token). */
type DelayedPlan = { readonly action: Extract<DelayedAction, { kind: "cancel" }> } | (TargetedPlan & { readonly action: Extract<DelayedAction, { kind: "send" }>; readonly delay: bigint });

interface SpecPlan {
  readonly spec: StateSpec;
  readonly mode: number;
  readonly expireAfter: bigint;
  readonly expirationSize: number;
}

interface EgressPlan {
  readonly namespace: string;
  readonly name: string;
  readonly argument: TypedValue;
  readonly argumentSize: number;
}

function planMutation(m: StateMutation): Sized<MutationPlan> {
  if (m.kind === "delete") {
    return { size: stringFieldSize(m.name), item: { mutation: m, value: undefined, valueSize: 0 } };
  }
  const value: TypedValue = { typename: m.value.typename, value: m.value.value ?? EMPTY };
  const valueSize = typedValueSize(value);
  return { size: 2 + stringFieldSize(m.name) + fieldSize(valueSize), item: { mutation: m, value, valueSize } };
}

function planMessage(m: OutgoingMessage): Sized<TargetedPlan> {
  const target = wireAddress(m.target);
  const argumentSize = typedValueSize(m.argument);
  return { size: fieldSize(target.size) + fieldSize(argumentSize), item: { target, argument: m.argument, argumentSize } };
}

function planDelayed(d: DelayedAction): Sized<DelayedPlan> {
  if (d.kind === "cancel") {
    // Field 10 (is_cancellation_request = true) is two bytes.
    const size = 2 + stringFieldSize(d.cancellationToken);
    return { size, item: { action: d } };
  }
  const delay = BigInt(Math.trunc(d.delayMs));
  const target = wireAddress(d.target);
  const argumentSize = typedValueSize(d.argument);
  const size = (delay === 0n ? 0 : 1 + int64Size(delay)) + fieldSize(target.size) + fieldSize(argumentSize) + stringFieldSize(d.cancellationToken);
  return { size, item: { action: d, delay, target, argument: d.argument, argumentSize } };
}

function planEgress(r: EgressRecord): Sized<EgressPlan> {
  const { namespace, name } = splitTypeName(r.egress);
  const argumentSize = typedValueSize(r.argument);
  return {
    size: stringFieldSize(namespace) + stringFieldSize(name) + fieldSize(argumentSize),
    item: { namespace, name, argument: r.argument, argumentSize },
  };
}

function planSpec(s: StateSpec): Sized<SpecPlan> {
  // Mode NONE is sent explicitly (an empty ExpirationSpec), as the Python and Go SDKs do.
  const mode = EXPIRE_MODE[s.expireMode];
  const expireAfter = s.expireMode === "none" ? 0n : BigInt(Math.trunc(s.expireAfterMs));
  const expirationSize = (mode === 0 ? 0 : 1 + varintSize(mode)) + (expireAfter === 0n ? 0 : 1 + int64Size(expireAfter));
  const size = stringFieldSize(s.name) + fieldSize(expirationSize) + stringFieldSize(s.typename);
  return { size, item: { spec: s, mode, expireAfter, expirationSize } };
}

function sumFields(items: readonly Sized<unknown>[]): number {
  let total = 0;
  for (const i of items) total += fieldSize(i.size);
  return total;
}

/** Serializes an outcome as the body of a request-reply response (FromFunction). */
export function writeFromFunction(outcome: BatchOutcome): Uint8Array {
  if (outcome.kind === "incomplete") {
    const specs = outcome.missing.map(planSpec);
    const context = sumFields(specs);
    const w = new WireWriter(varintSize(INCOMPLETE_CONTEXT_TAG) + varintSize(context) + context);
    w.varint(INCOMPLETE_CONTEXT_TAG);
    w.varint(context);
    for (const { size, item } of specs) {
      w.open(1, size);
      w.string(1, item.spec.name);
      w.open(2, item.expirationSize);
      if (item.mode !== 0) w.varintField(1, item.mode);
      if (item.expireAfter !== 0n) w.int64Field(2, item.expireAfter);
      w.string(3, item.spec.typename);
    }
    return finished(w);
  }
  const e = outcome.effects;
  const mutations = e.mutations.map(planMutation);
  const messages = e.messages.map(planMessage);
  const delayed = e.delayed.map(planDelayed);
  const egress = e.egress.map(planEgress);
  const result = sumFields(mutations) + sumFields(messages) + sumFields(delayed) + sumFields(egress);
  const w = new WireWriter(varintSize(INVOCATION_RESULT_TAG) + varintSize(result) + result);
  w.varint(INVOCATION_RESULT_TAG);
  w.varint(result);
  for (const { size, item } of mutations) {
    w.open(1, size);
    if (item.mutation.kind === "modify") w.varintField(1, MUTATION_MODIFY);
    w.string(2, item.mutation.name);
    if (item.value !== undefined) w.typedValue(3, item.value, item.valueSize);
  }
  for (const { size, item } of messages) {
    w.open(2, size);
    w.address(1, item.target);
    w.typedValue(2, item.argument, item.argumentSize);
  }
  for (const { size, item } of delayed) {
    w.open(3, size);
    if (!("delay" in item)) {
      w.varintField(10, 1);
      w.string(11, item.action.cancellationToken);
      continue;
    }
    if (item.delay !== 0n) w.int64Field(1, item.delay);
    w.address(2, item.target);
    w.typedValue(3, item.argument, item.argumentSize);
    w.string(11, item.action.cancellationToken);
  }
  for (const { size, item } of egress) {
    w.open(4, size);
    w.string(1, item.namespace);
    w.string(2, item.name);
    w.typedValue(3, item.argument, item.argumentSize);
  }
  return finished(w);
}

function finished(w: WireWriter): Uint8Array {
  if (w.position !== w.bytes.length) throw new Error(`FromFunction writer sized ${w.bytes.length} bytes but wrote ${w.position}`);
  return w.bytes;
}
