// Shared by the runtime scenario tests: deferred promises, waiting on the
// processors' event-loop turns instead of sleeping, typed values, a logger
// that keeps what it logs, and invokers that record the batches they see.

import { Types } from "@eddy/sdk";
import type { Address, InvocationBatch, StatefulFunction, TypedValue } from "@eddy/sdk";
import { embeddedInvoker } from "@eddy/runtime";
import type { FunctionInvoker } from "@eddy/runtime";

export interface Deferred<T = void> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** One turn of the event loop: partition processors run their turns on setImmediate. */
export function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Lets the processors run `n` turns (for asserting that something did NOT happen). */
export async function turns(n = 20): Promise<void> {
  for (let i = 0; i < n; i++) await turn();
}

/** Waits, turn by turn, until `condition` holds; fails after `maxTurns`. */
export async function until(condition: () => boolean, what = "the condition", maxTurns = 2000): Promise<void> {
  for (let i = 0; i < maxTurns; i++) {
    if (condition()) return;
    await turn();
  }
  throw new Error(`gave up waiting for ${what}`);
}

export function str(text: string): TypedValue {
  return { typename: Types.string.typename, value: Types.string.serialize(text) };
}

export function int(n: number): TypedValue {
  return { typename: Types.int.typename, value: Types.int.serialize(n) };
}

export function textOf(value: TypedValue): string {
  return Types.string.deserialize(value.value ?? new Uint8Array(0));
}

/** An embedded invoker for `fn` that records every batch it is handed. */
export function recordingInvoker(
  fn: StatefulFunction,
  batches: InvocationBatch[],
  maxBacklog = 0,
): FunctionInvoker {
  const inner = embeddedInvoker(fn, maxBacklog);
  return {
    ...inner,
    invoke(batch) {
      batches.push(batch);
      return inner.invoke(batch);
    },
  };
}

export function key(a: Address): string {
  return `${a.type}/${a.id}`;
}
