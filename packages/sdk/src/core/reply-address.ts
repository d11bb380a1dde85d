import type { Address } from "./address.js";

/**
 * The namespace of reply addresses. A request/reply ingress gives each message
 * it accepts a caller here (`io.eddy.reply/<ingress kind>/<request id>`); a
 * function answers by sending to its caller (`ctx.reply`, or `send` to
 * `context.caller` with an official SDK). No function can be bound here:
 * messages to it are answers, handed to the ingress after their commit.
 */
export const REPLY_NAMESPACE = "io.eddy.reply";

export function isReplyAddress(target: Address): boolean {
  return target.type.startsWith(`${REPLY_NAMESPACE}/`);
}
