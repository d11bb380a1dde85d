import type { EgressRecord } from "../function/invocation-batch.js";
import { egressMessage } from "../function/message-builders.js";
import { jsonType } from "../types/custom-types.js";

export const PLAYGROUND_EGRESS_ID = "io.statefun.playground/egress";

export interface PlaygroundEgressRecord {
  readonly topic: string;
  readonly payload: string;
}

/** The record type the playground egress accepts: JSON `{topic, payload}`. */
export const PlaygroundEgressRecordType = jsonType<PlaygroundEgressRecord>("io.statefun.playground/EgressRecord");

/**
 * A record for the playground egress; `GET /<topic>` on the egress port pops it.
 *
 * @example
 * ctx.sendEgress(playgroundEgressMessage({ topic: "greetings", payload: `Hello ${name}` }));
 */
export function playgroundEgressMessage(record: PlaygroundEgressRecord): EgressRecord {
  return egressMessage({
    egress: PLAYGROUND_EGRESS_ID,
    value: { topic: record.topic, payload: record.payload },
    type: PlaygroundEgressRecordType,
  });
}
