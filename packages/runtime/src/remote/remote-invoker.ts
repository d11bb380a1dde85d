import { EddyError, encodeInvocationBatch, formatAddress } from "@eddy/sdk";
import type { BatchOutcome, InvocationBatch } from "@eddy/sdk";
import type { Logger } from "../log/logger.js";
import type { TraceSpan, Tracing } from "../observability/tracing.js";
import { noTracing } from "../observability/tracing.js";
import type { FunctionInvoker } from "../runtime/function-invoker.js";
import type { EndpointPools } from "./endpoint-pools.js";
import { parseEndpointUrl } from "./endpoint-url.js";
import { attemptCall } from "./http-attempt.js";
import type { AttemptFailure } from "./retry-rules.js";
import { attemptTimeoutMs, backoffMs, isRetryable } from "./retry-rules.js";
import type { TransportOptions } from "./transport-options.js";
import { resolveTransport } from "./transport-options.js";
import { sleep } from "../retry/sleep.js";

/** StateFun's default `maxNumBatchRequests`. */
export const DEFAULT_MAX_BACKLOG = 1000;

export interface RemoteInvokerOptions {
  /** The function type this invoker calls, `namespace/name`. */
  readonly functionType: string;
  /**
   * The endpoint URL, `{function.name}` already substituted (see functionUrl):
   * `http(s)://host[:port]/path` or `http(s)+unix:///path/to/x.sock/path`.
   */
  readonly url: string;
  /** Backlog per address that pauses intake (maxNumBatchRequests). Default 1000; ≤ 0 = no limit. */
  readonly maxBacklog?: number;
  readonly transport: TransportOptions;
  /** Shared by every remote invoker of the runtime; close it on shutdown. */
  readonly pools: EndpointPools;
  readonly logger: Logger;
  /** Spans for each call (children of the invocation's span); default none. */
  readonly tracing?: Tracing;
}

/**
 * Calls a remote function over StateFun's request-reply protocol: one POST per
 * batch, admitted by the endpoint's adaptive concurrency limit (`admission`), retried within the call budget by the rules of the endpoint's
 * transport. A call that still fails rejects with EDDY_REMOTE_CALL_FAILED; the
 * partition processor then keeps the batch and retries it with its own
 * backoff, so no message is lost and other addresses keep running.
 */
export function remoteInvoker(options: RemoteInvokerOptions): FunctionInvoker {
  const target = parseEndpointUrl(options.url);
  const transport = resolveTransport(options.transport);
  const pool = options.pools.poolFor(target, transport);
  const limit = options.pools.limitFor(target, transport);
  const { logger, pools } = options;
  const tracing = options.tracing ?? noTracing;
  const endpoint = target.url;

  async function call(batch: InvocationBatch, traceparent?: string): Promise<BatchOutcome> {
    const span =
      traceparent === undefined || !tracing.enabled
        ? undefined
        : tracing.startSpan(`eddy remote call ${options.functionType}`, {
            parent: traceparent,
            kind: "client",
            attributes: {
              "url.full": endpoint,
              "eddy.address": formatAddress(batch.target),
              "eddy.batch_size": batch.invocations.length,
            },
          });
    try {
      return await callWithRetries(batch, span);
    } catch (error) {
      span?.fail(error);
      throw error;
    } finally {
      span?.end();
    }
  }

  async function callWithRetries(batch: InvocationBatch, span: TraceSpan | undefined): Promise<BatchOutcome> {
    const body = encodeInvocationBatch(batch);
    const started = performance.now();
    const deadline = started + transport.callMs;
    let attempt = 0;
    // The last attempt of a used-up budget often just times out; the problem worth reporting
    // (a TLS or connection error, say) is then the one an earlier attempt saw.
    let telling: AttemptFailure | undefined;
    for (;;) {
      attempt++;
      const result = await attemptCall({
        pool,
        target,
        body,
        transport: transport.type,
        timeoutMs: attemptTimeoutMs(transport.type, deadline - performance.now()),
        connectMs: transport.connectMs,
        readMs: transport.readMs,
        payloadMaxBytes: transport.payloadMaxBytes,
        traceparent: span?.traceparent,
      });
      span?.setAttribute("eddy.attempts", attempt);
      if (result.ok) return result.outcome;
      const failure = result.failure;
      if (failure.kind !== "timeout") telling = failure;
      // Formatted only on failure: a successful call never needs the address as text.
      const address = formatAddress(batch.target);
      // Debug only: the processor logs the address's state changes (failing, parked, recovered) once
      // each, with this call's last problem; a line per attempt would repeat it many times a call.
      logger.debug({ endpoint, address, attempt, reason: failure.reason }, "remote function call attempt failed");

      if (failure.kind === "closed" || pools.closed) {
        throw new EddyError("EDDY_SHUTTING_DOWN", `call to ${endpoint} for ${address} stopped: the runtime is shutting down`, {
          cause: failure.cause,
        });
      }
      if (!isRetryable(transport.type, failure)) {
        throw callFailed(endpoint, address, attempt, started, failure, `not retried by the ${transport.type} transport`, false);
      }
      const delay = backoffMs(transport.type, attempt, deadline - performance.now());
      if (delay === undefined) {
        throw callFailed(endpoint, address, attempt, started, failure, `call budget of ${transport.callMs} ms used up`, true, telling);
      }
      await sleep(delay);
    }
  }

  return {
    description: endpoint,
    // Remote functions declare their states lazily, through IncompleteInvocationContext.
    stateSpecs: [],
    maxBacklog: Math.max(0, options.maxBacklog ?? DEFAULT_MAX_BACKLOG),
    // The processor holds a slot of the endpoint's limit around each call (retries within its budget included).
    admission: limit,
    invoke: call,
  };
}

function callFailed(
  endpoint: string,
  address: string,
  attempts: number,
  started: number,
  last: AttemptFailure,
  why: string,
  retryable: boolean,
  earlier?: AttemptFailure,
): EddyError {
  const elapsed = Math.round(performance.now() - started);
  const before = earlier !== undefined && earlier !== last ? `; before that: ${earlier.reason}` : "";
  return new EddyError(
    "EDDY_REMOTE_CALL_FAILED",
    `remote call to ${endpoint} for ${address} failed after ${attempts} attempt${attempts === 1 ? "" : "s"} ` +
      `in ${elapsed} ms (${why}); last problem: ${last.reason}${before}`,
    { retryable, cause: earlier !== undefined && earlier !== last ? earlier.cause : last.cause },
  );
}
