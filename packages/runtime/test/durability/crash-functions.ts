/**
 * Embedded functions for the crash-recovery test. Every effect records the
 * message id it came from, so an audit of the store after the run can tell
 * whether each message was applied exactly once:
 *
 * - `crash/counter` appends the id to its list, forwards it to `crash/mirror`
 *   (same id), sends it delayed (20–200 ms) to `crash/timer` (same id), and
 *   emits `{topic: "audit", payload: "<key>:<msgId>"}` to the playground egress;
 * - `crash/mirror` and `crash/timer` append the id to their own list.
 *
 * Lists are JSON arrays that are never deduplicated: a message applied twice
 * shows up twice.
 */
import { address, defineFunction, message, playgroundEgressMessage, Types } from "@eddy/sdk";

/** A delay of 20–200 ms that depends only on the id, so a replay would pick the same one. */
export function timerDelayMs(id: string): number {
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  return 20 + ((h >>> 0) % 181);
}

/**
 * The id the load driver sent: the playground ingress passes a text/plain body
 * through as raw bytes (typed io.statefun.types/string, as the playground
 * does), so it is read as UTF-8 rather than as a StateFun string wrapper.
 */
function idOf(msg: { readonly rawValue: Uint8Array }): string {
  return Buffer.from(msg.rawValue).toString("utf8");
}

function appended(list: string | undefined, id: string): string {
  const ids = list === undefined ? [] : (JSON.parse(list) as string[]);
  ids.push(id);
  return JSON.stringify(ids);
}

export const counter = defineFunction({
  typename: "crash/counter",
  state: { ids: Types.string, count: Types.int },
  fn(ctx, msg) {
    const id = idOf(msg);
    ctx.storage.ids = appended(ctx.storage.ids, id);
    ctx.storage.count = (ctx.storage.count ?? 0) + 1;
    ctx.send(message({ to: address("crash/mirror", ctx.self.id), value: id, type: Types.string }));
    ctx.sendAfter(timerDelayMs(id), message({ to: address("crash/timer", ctx.self.id), value: id, type: Types.string }));
    ctx.sendEgress(playgroundEgressMessage({ topic: "audit", payload: `${ctx.self.id}:${id}` }));
  },
});

export const mirror = defineFunction({
  typename: "crash/mirror",
  state: { ids: Types.string },
  fn(ctx, msg) {
    ctx.storage.ids = appended(ctx.storage.ids, msg.asString());
  },
});

export const timer = defineFunction({
  typename: "crash/timer",
  state: { ids: Types.string },
  fn(ctx, msg) {
    ctx.storage.ids = appended(ctx.storage.ids, msg.asString());
  },
});
