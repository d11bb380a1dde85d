// `io.statefun.playground.v1/ingress` and `/egress`: the HTTP ingress and
// egress of the statefun-playground image. Their ids are fixed by the image.

import type { ConfigNode } from "./config-node.js";
import { parseHttpServerSpec } from "./http-server-spec.js";
import { PLAYGROUND_EGRESS_ID, PLAYGROUND_INGRESS_ID } from "./module-config.js";
import type { PlaygroundEgressSpec, PlaygroundIngressSpec, RequestReplySpec } from "./module-config.js";

const PORT_RULE = { min: 1, max: 65535 } as const;

export const REQUEST_REPLY_DEFAULTS: RequestReplySpec = { timeout: 30_000 };

export function parsePlaygroundIngressSpec(spec: ConfigNode): PlaygroundIngressSpec {
  const requestReply = spec.child("requestReply");
  return {
    id: PLAYGROUND_INGRESS_ID,
    port: spec.child("port").requiredInteger(PORT_RULE, "the HTTP port, e.g. 8090"),
    http: parseHttpServerSpec(spec, { body: true }),
    // `requestReply: {}` turns it on with the defaults.
    ...(requestReply.isPresent ? { requestReply: parseRequestReplySpec(requestReply.map({ hint: "e.g. { timeout: 30s }" })) } : {}),
  };
}

function parseRequestReplySpec(spec: ConfigNode): RequestReplySpec {
  return { timeout: spec.child("timeout").duration(REQUEST_REPLY_DEFAULTS.timeout, { positive: true }) };
}

export function parsePlaygroundEgressSpec(spec: ConfigNode): PlaygroundEgressSpec {
  return {
    id: PLAYGROUND_EGRESS_ID,
    port: spec.child("port").requiredInteger(PORT_RULE, "the HTTP port, e.g. 8091"),
    topics: spec.child("topics").stringList({ required: true, hint: "the topic names functions may send to" }),
    http: parseHttpServerSpec(spec, { body: false }),
  };
}
