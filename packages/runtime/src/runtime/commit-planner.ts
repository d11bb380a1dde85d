import { EddyError, formatAddress, isReplyAddress, MAX_DELAY_MS } from "@eddy/sdk";
import type { Address, InvocationEffects, OutgoingMessage } from "@eddy/sdk";
import type { CommitUnit, DelayedMessage, DelayedOperation, OutboxRecord } from "../model/commit-unit.js";
import type { StateStore } from "../store/state-store.js";
import type { Egress } from "../model/egress.js";
import type { DelayedMessageService } from "./delayed-message-service.js";
import type { Envelope } from "../model/envelope.js";
import { addressProblem, envelope, stateKeyProblem } from "../model/envelope.js";
import type { FunctionRegistry } from "./function-registry.js";

export interface PlanContext {
  readonly store: StateStore;
  readonly functions: FunctionRegistry;
  readonly egresses: ReadonlyMap<string, Egress>;
  readonly delayed: DelayedMessageService;
}

/**
 * Turns the effects a function returned into a commit unit, checking each one
 * first. Where StateFun fails the whole job (unknown state, type mismatch,
 * unknown egress or function, negative delay, a token pending twice), this
 * throws an EddyError so that only this address's batch fails and is retried.
 */
export function planCommit(
  ctx: PlanContext,
  target: Address,
  targetKey: string,
  consumed: readonly Envelope[],
  effects: InvocationEffects,
  invokedAt: number,
): CommitUnit {
  const where = formatAddress(target);
  const specs = ctx.store.specsOf(target.type);
  // Before anything is written: a key the store refuses mid-transaction would fail the store, not this address.
  for (const spec of specs) {
    const tooLong = stateKeyProblem(target, spec.name);
    if (tooLong !== undefined) throw new EddyError("EDDY_INVALID_STATE_NAME", `${where}: ${tooLong}`);
  }

  for (const m of effects.mutations) {
    const spec = specs.find((s) => s.name === m.name);
    if (spec === undefined) {
      throw new EddyError(
        "EDDY_UNKNOWN_STATE",
        `${where} changed state "${m.name}", which its function type never declared`,
      );
    }
    if (m.kind === "modify" && m.value.typename !== spec.typename) {
      throw new EddyError(
        "EDDY_TYPE_MISMATCH",
        `${where} wrote state "${m.name}" as ${m.value.typename}, but it is registered as ${spec.typename}`,
      );
    }
  }

  const messages: Envelope[] = [];
  let replies: OutgoingMessage[] | undefined;
  for (let i = 0; i < effects.messages.length; i++) {
    const m = effects.messages[i]!;
    // An answer to a waiting request/reply call: no function, no log, handed to its ingress after the commit.
    if (isReplyAddress(m.target)) (replies ??= []).push(m);
    else {
      checkFunctionExists(ctx, where, m.target);
      messages.push(envelope(m.target, m.argument, target));
    }
  }

  const delayed: DelayedOperation[] = [];
  if (effects.delayed.length > 0) {
    const tokensAdded = new Map<string, DelayedMessage>();
    const tokensCancelled = new Set<string>();
    const pending = (token: string) =>
      tokensAdded.has(token) || (!tokensCancelled.has(token) && ctx.delayed.isPending(targetKey, token));
    for (const d of effects.delayed) {
      if (d.kind === "cancel") {
        if (d.cancellationToken === "") {
          throw new EddyError("EDDY_INVALID_DELAY", `${where} asked to cancel a delayed message with an empty token`);
        }
        const cancelled = tokensAdded.has(d.cancellationToken)
          ? tokensAdded.get(d.cancellationToken)
          : tokensCancelled.has(d.cancellationToken)
            ? undefined
            : ctx.delayed.lookup(targetKey, d.cancellationToken);
        tokensAdded.delete(d.cancellationToken);
        tokensCancelled.add(d.cancellationToken);
        delayed.push({ kind: "cancel", senderKey: targetKey, cancellationToken: d.cancellationToken, cancelled });
        continue;
      }
      if (!Number.isFinite(d.delayMs) || d.delayMs < 0) {
        throw new EddyError("EDDY_INVALID_DELAY", `${where} sent a delayed message with negative delay ${d.delayMs} ms`);
      }
      if (d.delayMs > MAX_DELAY_MS) {
        throw new EddyError(
          "EDDY_INVALID_DELAY",
          `${where} sent a delayed message with delay ${d.delayMs} ms, longer than the limit of ${MAX_DELAY_MS} ms (100 years)`,
        );
      }
      if (isReplyAddress(d.target)) {
        throw new EddyError(
          "EDDY_INVALID_DELAY",
          `${where} sent a delayed message to the reply address ${formatAddress(d.target)}; replies cannot be delayed (answer at once, or keep the caller address in state and reply from a later invocation)`,
        );
      }
      checkFunctionExists(ctx, where, d.target);
      if (d.cancellationToken !== "") {
        if (pending(d.cancellationToken)) {
          // Retryable: the token is free again once the pending message fires or is cancelled.
          throw new EddyError(
            "EDDY_DUPLICATE_CANCELLATION_TOKEN",
            `${where} already has a pending delayed message with cancellation token "${d.cancellationToken}"`,
            { retryable: true },
          );
        }
      }
      const message: DelayedMessage = {
        sender: target,
        senderKey: targetKey,
        cancellationToken: d.cancellationToken,
        dueAt: invokedAt + d.delayMs,
        envelope: envelope(d.target, d.argument, target),
        seq: 0,
      };
      if (d.cancellationToken !== "") tokensAdded.set(d.cancellationToken, message);
      delayed.push({ kind: "send", message });
    }
  }

  const egress: OutboxRecord[] = new Array<OutboxRecord>(effects.egress.length);
  for (let i = 0; i < effects.egress.length; i++) {
    const e = effects.egress[i]!;
    egress[i] = { id: 0, egress: e.egress, value: e.argument };
    const sink = ctx.egresses.get(e.egress);
    if (sink === undefined) {
      throw new EddyError(
        "EDDY_UNKNOWN_EGRESS",
        `${where} sent a record to egress "${e.egress}", which is not bound (bound: ${[...ctx.egresses.keys()].join(", ") || "none"})`,
      );
    }
    const problem = sink.check(e.argument);
    if (problem !== undefined) {
      const temporary = typeof problem !== "string";
      throw new EddyError(
        "EDDY_INVALID_EGRESS_RECORD",
        `${where} sent egress "${e.egress}" a record it cannot take${temporary ? " now" : ""}: ${temporary ? problem.retryLater : problem}`,
        { retryable: temporary },
      );
    }
  }

  return {
    target,
    targetKey,
    functionType: target.type,
    invokedAt,
    consumed,
    mutations: effects.mutations,
    messages,
    delayed,
    egress,
    ...(replies === undefined ? {} : { replies }),
  };
}

function checkFunctionExists(ctx: PlanContext, where: string, to: Address): void {
  const tooLong = addressProblem(to);
  if (tooLong !== undefined) {
    throw new EddyError("EDDY_INVALID_ADDRESS", `${where} sent a message to ${to.type}: ${tooLong}`);
  }
  if (ctx.functions.resolve(to.type) === undefined) {
    throw new EddyError(
      "EDDY_UNKNOWN_FUNCTION",
      `${where} sent a message to ${formatAddress(to)}, but no function is bound for type ${to.type}`,
    );
  }
}

