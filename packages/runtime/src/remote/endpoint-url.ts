import { EddyError, parseTypeName } from "@eddy/sdk";

/** The one placeholder of StateFun's `urlPathTemplate`. */
export const FUNCTION_NAME_PLACEHOLDER = "{function.name}";

/**
 * Replaces every `{function.name}` in an endpoint's URL template with the
 * function type's name part (not its namespace), as StateFun does:
 * `http://fns/{function.name}` for `com.example/greeter` is `http://fns/greeter`.
 */
export function functionUrl(template: string, functionType: string): string {
  return template.replaceAll(FUNCTION_NAME_PLACEHOLDER, parseTypeName(functionType).name);
}

/** Where one request goes: a TCP origin, or a Unix socket with an origin only for the Host header. */
export interface EndpointTarget {
  /** The URL as configured (after substitution), for logs and errors. */
  readonly url: string;
  /** `http(s)://host[:port]`; `http(s)://localhost` for a Unix socket. */
  readonly origin: string;
  /** Request target: path and query, at least `/`. */
  readonly path: string;
  readonly secure: boolean;
  /** Set for `http+unix` / `https+unix`. */
  readonly socketPath?: string;
}

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//u;

/**
 * Parses `http`, `https`, `http+unix` and `https+unix` URLs. For the `+unix`
 * schemes the socket file is every path segment up to the first one ending in
 * `.sock` and the rest is the request path (`http+unix:///run/fn.sock/statefun`).
 * @throws EddyError EDDY_CONFIG_INVALID
 */
export function parseEndpointUrl(url: string): EndpointTarget {
  const scheme = SCHEME.exec(url)?.[1]?.toLowerCase();
  if (scheme === "http" || scheme === "https") {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new EddyError("EDDY_CONFIG_INVALID", `endpoint URL "${url}" is not a valid URL`);
    }
    if (parsed.hostname === "") throw new EddyError("EDDY_CONFIG_INVALID", `endpoint URL "${url}" has no host`);
    // The fragment never goes on the wire.
    return { url, origin: parsed.origin, path: `${parsed.pathname || "/"}${parsed.search}`, secure: scheme === "https" };
  }
  if (scheme === "http+unix" || scheme === "https+unix") {
    const rest = url.slice(url.indexOf("://") + 3);
    // Like java.net.URI#getPath, the authority (usually empty) is not part of the socket path.
    const pathStart = rest.indexOf("/");
    const pathAndQuery = pathStart < 0 ? "" : rest.slice(pathStart);
    const queryStart = pathAndQuery.search(/[?#]/u);
    const path = queryStart < 0 ? pathAndQuery : pathAndQuery.slice(0, queryStart);
    const query = queryStart < 0 ? "" : pathAndQuery.slice(queryStart).replace(/#.*$/u, "");
    const segments = path.split("/").filter((s) => s !== "");
    const sock = segments.findIndex((s) => s.endsWith(".sock"));
    if (sock < 0) {
      throw new EddyError(
        "EDDY_CONFIG_INVALID",
        `endpoint URL "${url}" names no socket file: one path segment must end in ".sock" (e.g. "http+unix:///run/fn.sock/statefun")`,
      );
    }
    const secure = scheme === "https+unix";
    return {
      url,
      origin: secure ? "https://localhost" : "http://localhost",
      path: `/${segments.slice(sock + 1).join("/")}${query}`,
      secure,
      socketPath: `/${segments.slice(0, sock + 1).join("/")}`,
    };
  }
  throw new EddyError(
    "EDDY_CONFIG_INVALID",
    `endpoint URL "${url}" has an unsupported scheme (use http, https, http+unix or https+unix)`,
  );
}
