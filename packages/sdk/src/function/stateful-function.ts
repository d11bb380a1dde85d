import { checkTypeName } from "../core/type-name.js";
import { EddyError } from "../core/errors.js";
import type { TypedValue } from "../core/typed-value.js";
/** Any `Type<T>` seen from the side that only decodes (Type<T> itself is invariant in T). */
export interface AcceptedType {
  readonly typename: string;
  deserialize(bytes: Uint8Array): unknown;
}
import type { Context, Storage } from "./context.js";
import { InvocationContext } from "./context.js";
import type { BatchOutcome, InvocationBatch, StateSpec } from "./invocation-batch.js";
import { Message } from "./message.js";
import type { StateView, StateViewFactory } from "./state-view.js";
import { stateViewFactory } from "./state-view.js";
import type { NormalizedValueSpec, StateDeclarations } from "./value-spec.js";
import { normalizeStateDeclaration } from "./value-spec.js";

export type FunctionHandler<S extends StateDeclarations> = (ctx: Context<S>, message: Message) => void | Promise<void>;

export interface FunctionOptions<S extends StateDeclarations> {
  /** The function type, `namespace/name`. */
  readonly typename: string;
  /** The persisted values, by state name. */
  readonly state?: S;
  /**
   * The message types this function handles. Optional; when given, ingresses
   * reject other types and undecodable bodies up front with a clear error
   * instead of handing them to the function.
   */
  readonly accepts?: readonly AcceptedType[];
  /**
   * Handles one message. Messages to one address arrive one at a time, in
   * order. Throwing (or rejecting) discards every effect of the batch, and the
   * runtime retries it with backoff.
   */
  readonly fn: FunctionHandler<S>;
}

const FUNCTION_BRAND = Symbol.for("eddy.function");

/**
 * A stateful function, runnable embedded in the runtime or served remotely
 * through the request-reply handler, without change.
 */
export interface StatefulFunction {
  readonly [FUNCTION_BRAND]: true;
  readonly typename: string;
  readonly stateSpecs: readonly StateSpec[];
  readonly acceptedTypes: readonly AcceptedType[];
  /** Runs one batch; synchronous when the handler is, to keep the embedded path free of promises. */
  invoke(batch: InvocationBatch): BatchOutcome | Promise<BatchOutcome>;
}

export function isStatefulFunction(x: unknown): x is StatefulFunction {
  return typeof x === "object" && x !== null && (x as Record<symbol, unknown>)[FUNCTION_BRAND] === true;
}

function isPromiseLike(x: unknown): x is PromiseLike<unknown> {
  return typeof x === "object" && x !== null && typeof (x as PromiseLike<unknown>).then === "function";
}

/**
 * Defines a stateful function.
 *
 * @example
 * export const greeter = defineFunction({
 *   typename: "apache/greeter",
 *   state: { seen_count: Types.int },
 *   fn(ctx, msg) {
 *     const seen = (ctx.storage.seen_count ?? 0) + 1;
 *     ctx.storage.seen_count = seen;
 *     ctx.sendEgress(playgroundEgressMessage({ topic: "greetings", payload: `Hello #${seen}` }));
 *   },
 * });
 */
export function defineFunction<S extends StateDeclarations = Record<never, never>>(
  options: FunctionOptions<S>,
): StatefulFunction {
  const typename = checkTypeName(options.typename);
  const normalized: NormalizedValueSpec[] = Object.entries(options.state ?? {}).map(([name, d]) =>
    normalizeStateDeclaration(name, d),
  );
  const stateSpecs = normalized.map((n) => n.spec);
  const makeView = stateViewFactory(typename, normalized);
  const handler = options.fn as FunctionHandler<StateDeclarations>;
  return {
    [FUNCTION_BRAND]: true,
    typename,
    stateSpecs,
    acceptedTypes: (options.accepts ?? []),
    invoke: (batch) => runBatch(typename, stateSpecs, makeView, handler, batch),
  };
}

function runBatch(
  typename: string,
  specs: readonly StateSpec[],
  makeView: StateViewFactory,
  handler: FunctionHandler<StateDeclarations>,
  batch: InvocationBatch,
): BatchOutcome | Promise<BatchOutcome> {
  if (batch.target.type !== typename) {
    throw new EddyError("EDDY_UNKNOWN_FUNCTION", `batch for ${batch.target.type} sent to function ${typename}`);
  }
  const raw: (TypedValue | undefined)[] = new Array<TypedValue | undefined>(specs.length);
  let missing: StateSpec[] | undefined;
  for (let i = 0; i < specs.length; i++) {
    const name = specs[i]!.name;
    const entry = batch.states.find((s) => s.name === name);
    if (entry === undefined) (missing ??= []).push(specs[i]!);
    else raw[i] = entry.value;
  }
  if (missing !== undefined) return { kind: "incomplete", missing };

  const view = makeView(raw);
  const ctx = new InvocationContext(batch.target, view as unknown as Storage<StateDeclarations>);
  const invocations = batch.invocations;
  for (let i = 0; i < invocations.length; i++) {
    const inv = invocations[i]!;
    ctx.caller = inv.caller;
    const result = handler(ctx, new Message(inv.argument));
    if (isPromiseLike(result)) return finishAsync(result, i + 1, batch, handler, ctx, view);
  }
  return completed(ctx, view);
}

async function finishAsync(
  pending: PromiseLike<unknown>,
  next: number,
  batch: InvocationBatch,
  handler: FunctionHandler<StateDeclarations>,
  ctx: InvocationContext,
  view: StateView,
): Promise<BatchOutcome> {
  await pending;
  const invocations = batch.invocations;
  for (let i = next; i < invocations.length; i++) {
    const inv = invocations[i]!;
    ctx.caller = inv.caller;
    await handler(ctx, new Message(inv.argument));
  }
  return completed(ctx, view);
}

function completed(ctx: InvocationContext, view: StateView): BatchOutcome {
  return {
    kind: "completed",
    effects: { mutations: view.mutations(), messages: ctx.messages, delayed: ctx.delayed, egress: ctx.egress },
  };
}
