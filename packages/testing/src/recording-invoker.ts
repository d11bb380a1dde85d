import type { Address, BatchOutcome, InvocationBatch } from "@eddy/sdk";
import type { FunctionInvoker } from "@eddy/runtime";
import type { CapturedMessage } from "./captured-message.js";

/**
 * Wraps an invoker (embedded or remote) and records the messages each
 * completed batch sends. A batch that throws records nothing, so retries
 * after a failure are not counted twice.
 */
export interface InvocationObserver {
  now(): number;
  message(m: CapturedMessage): void;
  /** A batch of this address completed (its effects may still be refused at commit, which is logged as a failure). */
  completed(target: Address): void;
}

export function recordingInvoker(inner: FunctionInvoker, observer: InvocationObserver): FunctionInvoker {
  const record = (m: CapturedMessage): void => observer.message(m);
  const observe = (batch: InvocationBatch, outcome: BatchOutcome): BatchOutcome => {
    if (outcome.kind !== "completed") return outcome;
    observer.completed(batch.target);
    const at = observer.now();
    for (const m of outcome.effects.messages) record({ from: batch.target, to: m.target, value: m.argument, at });
    for (const d of outcome.effects.delayed) {
      if (d.kind !== "send") continue;
      record({
        from: batch.target,
        to: d.target,
        value: d.argument,
        delayMs: d.delayMs,
        ...(d.cancellationToken === "" ? {} : { cancellationToken: d.cancellationToken }),
        at,
      });
    }
    return outcome;
  };
  return {
    ...inner,
    invoke(batch) {
      const outcome = inner.invoke(batch);
      return outcome instanceof Promise ? outcome.then((o) => observe(batch, o)) : observe(batch, outcome);
    },
  };
}
