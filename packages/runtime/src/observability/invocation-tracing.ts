import { formatAddress } from "@eddy/sdk";
import type { Address } from "@eddy/sdk";
import type { Envelope } from "../model/envelope.js";
import type { CommitUnit } from "../model/commit-unit.js";
import type { TraceSpan, Tracing } from "./tracing.js";

/** Other traces a batch continues are linked, up to this many (a batch can hold thousands of messages). */
const MAX_LINKS = 32;

/** The label a failure is counted under: its EddyError code, or EDDY_FUNCTION_FAILED for anything else. */
export function errorReason(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && code.startsWith("EDDY_") ? code : "EDDY_FUNCTION_FAILED";
}

/**
 * The span of one invocation attempt. A batch may hold messages of several
 * traces: the span is a child of the first message's and links the others.
 */
export function invocationSpan(
  tracing: Tracing,
  mailbox: { readonly target: Address; readonly attempt: number },
  batch: readonly Envelope[],
): TraceSpan {
  let parent: string | undefined;
  let links: string[] | undefined;
  for (const m of batch) {
    const t = m.trace;
    if (t === undefined || t === parent) continue;
    if (parent === undefined) parent = t;
    else if ((links ??= []).length < MAX_LINKS && !links.includes(t)) links.push(t);
  }
  return tracing.startSpan(`eddy invoke ${mailbox.target.type}`, {
    parent,
    kind: "consumer",
    attributes: {
      "eddy.address": formatAddress(mailbox.target),
      "eddy.function_type": mailbox.target.type,
      "eddy.batch_size": batch.length,
      "eddy.attempt": mailbox.attempt + 1,
    },
    ...(links === undefined ? {} : { links }),
  });
}

/**
 * Marks everything an invocation produced with its span, so the messages,
 * delayed messages and egress records it sends continue its trace (the
 * traceparent is stored with them), and starts the span of its commit.
 */
export function stampTrace(tracing: Tracing, invocation: TraceSpan, unit: CommitUnit): TraceSpan {
  const traceparent = invocation.traceparent;
  unit.trace = traceparent;
  for (const m of unit.messages) m.trace = traceparent;
  for (const op of unit.delayed) if (op.kind === "send") op.message.envelope.trace = traceparent;
  return tracing.startSpan("eddy commit", {
    parent: traceparent,
    attributes: {
      "eddy.address": formatAddress(unit.target),
      "eddy.consumed": unit.consumed.length,
      "eddy.messages": unit.messages.length,
      "eddy.delayed": unit.delayed.length,
      "eddy.egress_records": unit.egress.length,
      "eddy.state_mutations": unit.mutations.length,
    },
  });
}
