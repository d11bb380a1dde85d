// Eddy's keys for the HTTP servers of the playground ingress and egress (and
// any other HTTP server the runtime opens): timeouts, sizes and the origins
// whose web pages may use them. StateFun has none of these; its playground used
// Netty's defaults. See docs/security.md.

import type { ConfigNode } from "./config-node.js";

/** Limits of one HTTP server. Node's own defaults (60 s for headers, 300 s for a request) let a slow client hold a connection for minutes. */
export interface HttpServerLimits {
  /** The request line and headers must arrive within this time. */
  readonly headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this time; at least `headersTimeoutMs`. */
  readonly requestTimeoutMs: number;
  /** A keep-alive connection with no request in progress is closed after this time. */
  readonly idleTimeoutMs: number;
  /** Largest request line plus headers, in bytes; larger requests get 431. */
  readonly maxHeaderBytes: number;
  /** Largest request body, in bytes; larger bodies get 413. */
  readonly maxBodyBytes: number;
}

export const HTTP_SERVER_DEFAULTS: HttpServerLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  idleTimeoutMs: 30_000,
  maxHeaderBytes: 16 * 1024,
  maxBodyBytes: 4 * 1024 * 1024,
};

export interface HttpServerSpec {
  readonly limits: HttpServerLimits;
  /** Origins (`scheme://host[:port]`) whose web pages may send requests; browsers' requests from any other are refused. */
  readonly allowedOrigins: readonly string[];
}

const HEADER_BYTES_RULE = { min: 1024, max: 1024 * 1024 } as const;
const BODY_BYTES_RULE = { min: 1, max: 1024 * 1024 * 1024 } as const;

/** Reads `headersTimeout`, `requestTimeout`, `idleTimeout`, `maxHeaderBytes`, `maxBodyBytes` (when `body`) and `allowedOrigins`. */
export function parseHttpServerSpec(spec: ConfigNode, options: { body: boolean }): HttpServerSpec {
  const headersNode = spec.child("headersTimeout");
  const requestNode = spec.child("requestTimeout");
  const headersTimeoutMs = headersNode.duration(HTTP_SERVER_DEFAULTS.headersTimeoutMs, { positive: true });
  const requestTimeoutMs = requestNode.duration(HTTP_SERVER_DEFAULTS.requestTimeoutMs, { positive: true });
  if (headersTimeoutMs > requestTimeoutMs && (headersNode.isPresent || requestNode.isPresent)) {
    (requestNode.isPresent ? requestNode : headersNode).report(
      `headersTimeout (${headersTimeoutMs} ms) must not be longer than requestTimeout (${requestTimeoutMs} ms)`,
    );
  }
  const limits: HttpServerLimits = {
    headersTimeoutMs,
    requestTimeoutMs,
    idleTimeoutMs: spec.child("idleTimeout").duration(HTTP_SERVER_DEFAULTS.idleTimeoutMs, { positive: true }),
    maxHeaderBytes: spec.child("maxHeaderBytes").integer(HTTP_SERVER_DEFAULTS.maxHeaderBytes, HEADER_BYTES_RULE),
    maxBodyBytes: options.body
      ? spec.child("maxBodyBytes").integer(HTTP_SERVER_DEFAULTS.maxBodyBytes, BODY_BYTES_RULE)
      : HTTP_SERVER_DEFAULTS.maxBodyBytes,
  };
  const allowedOrigins: string[] = [];
  for (const item of spec.child("allowedOrigins").list({ hint: `origins such as "http://localhost:3000"` })) {
    const text = item.requiredString();
    if (text === "") continue;
    const problem = originProblem(text);
    if (problem === undefined) allowedOrigins.push(text);
    else item.report(problem);
  }
  return { limits, allowedOrigins };
}

/** Why a text is not an origin as browsers send it in the `Origin` header, or undefined. */
function originProblem(text: string): string | undefined {
  const usage = `is not an origin (use scheme://host[:port] with no path, e.g. "http://localhost:3000")`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `"${text}" ${usage}`;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return `"${text}" ${usage}`;
  if (url.origin !== text) return `"${text}" ${usage}; its origin is "${url.origin}"`;
  return undefined;
}
