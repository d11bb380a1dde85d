// `io.statefun.endpoints.v1/http` and `io.statefun.endpoints.v2/http`: where
// remote functions live and how to call them. v1 always uses the OkHttp
// transport with its `timeouts` directly under `spec`; v2 picks a transport
// with `transport.type` and defaults to async, as StateFun 3.2+ does.

import type { ConfigNode } from "./config-node.js";
import { formatDuration } from "./duration.js";
import type { AsyncTransport, HttpEndpointSpec, OkHttpTransport, TlsSettings, UnixSocketTarget } from "./module-config.js";
import { optionalPath } from "./paths.js";

export const ASYNC_TRANSPORT_TYPE = "io.statefun.transports.v1/async";
export const OKHTTP_TRANSPORT_TYPE = "io.statefun.transports.v1/okhttp";

export const DEFAULT_MAX_NUM_BATCH_REQUESTS = 1000;

const ASYNC_DEFAULTS = {
  call: 2 * 60_000,
  connect: 20_000,
  poolTtl: 15_000,
  poolSize: 1024,
  payloadMaxBytes: 32 * 1024 * 1024,
} as const;

/** The legacy `timeouts` block of the async transport has its own, shorter defaults. */
const ASYNC_LEGACY_TIMEOUT_DEFAULTS = { call: 60_000, connect: 10_000 } as const;

const OKHTTP_DEFAULTS = { call: 60_000, connect: 10_000, read: 10_000, write: 10_000 } as const;

export function parseHttpEndpointSpec(spec: ConfigNode, version: 1 | 2): HttpEndpointSpec {
  const functions = spec.child("functions").requiredFunctionPattern();
  const urlNode = spec.child("urlPathTemplate");
  const urlPathTemplate = urlNode.requiredString("the function's URL, e.g. http://functions:8000/statefun");
  const target = urlPathTemplate === "" ? undefined : parseUrlTarget(urlNode, urlPathTemplate);
  const maxNumBatchRequests = spec.child("maxNumBatchRequests").integer(DEFAULT_MAX_NUM_BATCH_REQUESTS);
  const transport = version === 1 ? parseOkHttpTimeouts(spec.child("timeouts")) : parseTransport(spec.child("transport"));

  return {
    functions,
    urlPathTemplate,
    scheme: target?.scheme ?? "http",
    ...(target?.unixSocket === undefined ? {} : { unixSocket: target.unixSocket }),
    maxNumBatchRequests,
    transport,
  };
}

// ---------------------------------------------------------------------------
// URL

type Scheme = HttpEndpointSpec["scheme"];
const SCHEMES: readonly Scheme[] = ["http", "https", "http+unix", "https+unix"];

interface UrlTarget {
  readonly scheme: Scheme;
  readonly unixSocket?: UnixSocketTarget;
}

function parseUrlTarget(node: ConfigNode, template: string): UrlTarget | undefined {
  // URL parsing would percent-encode a space and call a path nobody serves.
  if (/\s/u.test(template)) {
    node.report(`"${template}" contains whitespace (expected e.g. "http://functions:8000/statefun")`);
    return undefined;
  }
  const schemeMatch = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//u.exec(template);
  if (schemeMatch === null) {
    node.report(`"${template}" is not an absolute URL (expected e.g. "http://functions:8000/statefun")`);
    return undefined;
  }
  const schemeText = (schemeMatch[1] ?? "").toLowerCase();
  const scheme = SCHEMES.find((s) => s === schemeText);
  if (scheme === undefined) {
    node.report(`scheme "${schemeText}" is not supported (use http, https, http+unix or https+unix)`);
    return undefined;
  }
  if (scheme === "http" || scheme === "https") {
    // WHATWG URL parsing reads "http:///path" as host "path"; an empty authority is a typo, not a host.
    if (/^[/?#]/u.test(template.slice(schemeMatch[0].length))) {
      node.report(`"${template}" has no host after "${schemeMatch[0]}" (expected e.g. "http://functions:8000/statefun")`);
      return undefined;
    }
    let url: URL | undefined;
    try {
      url = new URL(template);
    } catch {
      url = undefined;
    }
    if (url === undefined || url.hostname === "") {
      node.report(`"${template}" is not a valid URL (expected e.g. "http://functions:8000/statefun")`);
      return undefined;
    }
    if (url.port === "0") {
      node.report(`"${template}" has port 0, which no server listens on (use a port from 1 to 65535)`);
      return undefined;
    }
    return { scheme };
  }
  const unixSocket = parseUnixSocketTarget(template.slice(schemeMatch[0].length));
  if (unixSocket === undefined) {
    node.report(`"${template}" names no socket file: one path segment must end in ".sock" (e.g. "http+unix:///run/fn.sock/statefun")`);
    return undefined;
  }
  return { scheme, unixSocket };
}

/**
 * StateFun's rule for `http+unix:///path/x.sock/url/path`: the socket file is
 * every segment up to the first one ending in `.sock`; the rest is the request path.
 */
function parseUnixSocketTarget(afterScheme: string): UnixSocketTarget | undefined {
  // Like java.net.URI#getPath, the authority (usually empty) is not part of the socket path.
  const pathStart = afterScheme.indexOf("/");
  if (pathStart < 0) return undefined;
  const pathAndQuery = afterScheme.slice(pathStart);
  const queryStart = pathAndQuery.search(/[?#]/u);
  const path = queryStart < 0 ? pathAndQuery : pathAndQuery.slice(0, queryStart);
  const suffix = queryStart < 0 ? "" : pathAndQuery.slice(queryStart);

  const segments = path.split("/").filter((segment) => segment !== "");
  const sockIndex = segments.findIndex((segment) => segment.endsWith(".sock"));
  if (sockIndex < 0) return undefined;
  const socketPath = `/${segments.slice(0, sockIndex + 1).join("/")}`;
  const rest = segments.slice(sockIndex + 1).join("/");
  return { socketPath, pathTemplate: `/${rest}${suffix}` };
}

// ---------------------------------------------------------------------------
// Transports

function parseTransport(node: ConfigNode): AsyncTransport | OkHttpTransport {
  const transport = node.map();
  const type = transport
    .child("type")
    .choice([ASYNC_TRANSPORT_TYPE, OKHTTP_TRANSPORT_TYPE], ASYNC_TRANSPORT_TYPE);
  return type === OKHTTP_TRANSPORT_TYPE ? parseOkHttpTimeouts(transport.child("timeouts")) : parseAsyncTransport(transport);
}

function parseAsyncTransport(transport: ConfigNode): AsyncTransport {
  const positive = { positive: true };
  let call = transport.child("call").duration(ASYNC_DEFAULTS.call, positive);
  let connect = transport.child("connect").duration(ASYNC_DEFAULTS.connect, positive);

  // StateFun lets a `timeouts` block (the OkHttp-era form) override the flat keys; read/write are ignored.
  const timeouts = transport.child("timeouts").map();
  if (timeouts.isPresent) {
    call = timeouts.child("call").duration(ASYNC_LEGACY_TIMEOUT_DEFAULTS.call, positive);
    connect = timeouts.child("connect").duration(ASYNC_LEGACY_TIMEOUT_DEFAULTS.connect, positive);
  }

  return {
    type: "async",
    call,
    connect,
    poolTtl: transport.child("pool_ttl").duration(ASYNC_DEFAULTS.poolTtl),
    poolSize: transport.child("pool_size").integer(ASYNC_DEFAULTS.poolSize, { min: 1 }),
    payloadMaxBytes: transport.child("payload_max_bytes").integer(ASYNC_DEFAULTS.payloadMaxBytes, { min: 1 }),
    tls: parseTls(transport),
  };
}

function parseTls(transport: ConfigNode): TlsSettings {
  const trustCaCerts = optionalPath(transport.child("trust_cacerts"));
  const certNode = transport.child("client_cert");
  const keyNode = transport.child("client_key");
  const passwordNode = transport.child("client_key_password");
  const clientCert = optionalPath(certNode);
  const clientKey = optionalPath(keyNode);
  const clientKeyPassword = optionalPath(passwordNode);

  // A certificate without its key (or the reverse) cannot authenticate, so mTLS needs both.
  if (certNode.isPresent && !keyNode.isPresent) keyNode.report("is required when client_cert is given (cert and key go together)");
  if (keyNode.isPresent && !certNode.isPresent) certNode.report("is required when client_key is given (cert and key go together)");
  if (passwordNode.isPresent && !keyNode.isPresent) passwordNode.report("only makes sense together with client_key");

  return {
    ...(trustCaCerts === undefined ? {} : { trustCaCerts }),
    ...(clientCert === undefined ? {} : { clientCert }),
    ...(clientKey === undefined ? {} : { clientKey }),
    ...(clientKeyPassword === undefined ? {} : { clientKeyPassword }),
  };
}

/** OkHttp timeouts: every one > 0, and connect/read/write (defaults included) no longer than call. */
function parseOkHttpTimeouts(node: ConfigNode): OkHttpTransport {
  const timeouts = node.map();
  const positive = { positive: true };
  const callNode = timeouts.child("call");
  const givenCall = callNode.optionalDuration(positive);
  const callIsValid = !callNode.isPresent || givenCall !== undefined;
  const call = givenCall ?? OKHTTP_DEFAULTS.call;

  const bounded = (key: "connect" | "read" | "write"): number => {
    const child = timeouts.child(key);
    const given = child.optionalDuration(positive);
    // An invalid value was reported already; comparing its placeholder would only add noise.
    if (child.isPresent && given === undefined) return OKHTTP_DEFAULTS[key];
    const value = given ?? OKHTTP_DEFAULTS[key];
    if (callIsValid && value > call) {
      const what = child.isPresent ? formatDuration(value) : `the default ${formatDuration(value)}`;
      child.report(`${what} must not be longer than call (${formatDuration(call)})`);
    }
    return value;
  };
  return { type: "okhttp", call, connect: bounded("connect"), read: bounded("read"), write: bounded("write") };
}
