import type { BatchOutcome, InvocationBatch, StateSpec, TypedValue } from "@eddy/sdk";
import type { TargetProblem } from "../model/ingress.js";

/**
 * Bounds how many calls of an endpoint are in flight at once (a remote
 * endpoint's adaptive concurrency limit, shared by its function types).
 */
export interface Admission {
  /** Undefined when a call may start now; otherwise resolves when it may. Each admitted call ends with one `release`. */
  acquire(): Promise<void> | undefined;
  /** Ends an admitted call: its duration in ms when it succeeded, undefined when it failed. */
  release(latencyMs: number | undefined): void;
}

/**
 * How the runtime reaches the functions of one type, whatever their
 * deployment: embedded (a call in this process), co-located or remote (an HTTP
 * request speaking StateFun's request-reply protocol).
 */
export interface FunctionInvoker {
  /** For logs: "embedded", or the endpoint URL. */
  readonly description: string;
  /** States known before the first call (embedded functions); remote functions declare theirs lazily. */
  readonly stateSpecs: readonly StateSpec[];
  /**
   * Backlog per address at which the processor stops taking new input from its
   * partition until the address catches up (StateFun's maxNumBatchRequests); 0 = no limit.
   */
  readonly maxBacklog: number;
  /**
   * Runs one batch. `traceparent` names the invocation's span while tracing is
   * on, so a remote call can be its child and pass the trace on to the function.
   */
  invoke(batch: InvocationBatch, traceparent?: string): BatchOutcome | Promise<BatchOutcome>;
  /**
   * When set, the processor takes a slot before each call and releases it when
   * the call ends. It takes the first slot before it forms an address's batch,
   * so the messages that arrive while the address waits for an overloaded
   * endpoint join that batch: under load fewer, larger requests; at low load
   * nothing waits.
   */
  readonly admission?: Admission;
  /** Why an ingress message cannot be handled by this function, or undefined when it can. */
  checkArgument?(argument: TypedValue): TargetProblem | undefined;
}

/** Gives the invoker for one concrete function type covered by a binding. */
export type FunctionProvider = (functionType: string) => FunctionInvoker;
