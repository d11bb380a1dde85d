import { createServer } from "node:http";
import type { IncomingMessage, OutgoingHttpHeaders, Server, ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { HTTP_SERVER_DEFAULTS } from "../config/http-server-spec.js";
import type { HttpServerLimits } from "../config/http-server-spec.js";
import { EddyError } from "@eddy/sdk";
import { systemErrorText } from "../log/system-error.js";

/** Every response says what it is: error bodies echo request paths, so browsers must not sniff them as HTML. */
const COMMON_HEADERS: OutgoingHttpHeaders = { "x-content-type-options": "nosniff" };

/**
 * Starts a node:http server on host:port and resolves once it listens (port 0 picks a free one).
 * Requests that never reach the handler (malformed, oversized headers, too slow) get a
 * plain-text body naming the problem instead of Node's bare status line.
 */
export async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  port: number,
  host: string,
  limits: HttpServerLimits = HTTP_SERVER_DEFAULTS,
): Promise<{ server: Server; port: number }> {
  const server = createServer(
    {
      keepAlive: true,
      maxHeaderSize: limits.maxHeaderBytes,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      // Node only checks the two timeouts above this often (default 30 s), so a short timeout needs a short interval.
      connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
    },
    handler,
  );
  server.keepAliveTimeout = limits.idleTimeoutMs;
  server.on("clientError", (error: Error & { code?: string; reason?: string }, socket: Socket) =>
    answerClientError(error, socket, limits),
  );
  await new Promise<void>((resolve, reject) => {
    const refuse = (error: unknown) => reject(listenError(error, port, host));
    server.once("error", refuse);
    server.listen(port, host, () => {
      server.off("error", refuse);
      resolve();
    });
  });
  return { server, port: (server.address() as AddressInfo).port };
}

/** What went wrong with a request Node refused before the handler saw it, as a status and a sentence. */
export function describeClientError(
  error: { code?: string; reason?: string; message: string },
  limits: HttpServerLimits,
): { status: number; text: string } {
  switch (error.code) {
    case "HPE_HEADER_OVERFLOW":
      return { status: 431, text: `request line and headers are larger than the limit of ${limits.maxHeaderBytes} bytes` };
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return {
        status: 408,
        text: `the request did not arrive in time (headers within ${limits.headersTimeoutMs} ms, the whole request within ${limits.requestTimeoutMs} ms)`,
      };
    default:
      return { status: 400, text: `malformed HTTP request: ${error.reason ?? error.message}` };
  }
}

const STATUS_TEXT: Readonly<Record<number, string>> = { 400: "Bad Request", 408: "Request Timeout", 431: "Request Header Fields Too Large" };

function answerClientError(error: Error & { code?: string; reason?: string }, socket: Socket, limits: HttpServerLimits): void {
  // Writing into a response already under way would corrupt it for the peer (as Node's own handler avoids).
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (error.code === "ECONNRESET" || !socket.writable || (inFlight != null && inFlight.headersSent)) {
    socket.destroy();
    return;
  }
  const { status, text } = describeClientError(error, limits);
  const body = `${text}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? "Error"}\r\n` +
      "content-type: text/plain; charset=utf-8\r\n" +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      "x-content-type-options: nosniff\r\n" +
      "connection: close\r\n\r\n" +
      body,
  );
}

/** Why a port could not be bound, and what to do; the runtime prefixes the component that asked. */
function listenError(cause: unknown, port: number, host: string): EddyError {
  const code = (cause as NodeJS.ErrnoException).code;
  const why =
    code === "EADDRINUSE"
      ? `port ${port} on ${host} is already in use; stop the process that uses it or choose another port`
      : code === "EACCES"
        ? `port ${port} on ${host} needs privileges this process lacks; use a port above 1023`
        : code === "EADDRNOTAVAIL" || code === "ENOTFOUND"
          ? `cannot listen on ${host}:${port}: the host is not an address of this machine; check --host`
          : `cannot listen on ${host}:${port}: ${systemErrorText(cause)}`;
  return new EddyError("EDDY_LISTEN_FAILED", why, { cause });
}

export async function close(server: Server | undefined): Promise<void> {
  if (server === undefined) return;
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

export function reply(
  res: ServerResponse,
  status: number,
  body: string | Uint8Array = "",
  headers: OutgoingHttpHeaders = {},
): void {
  if (typeof body === "string") {
    res.writeHead(status, {
      ...COMMON_HEADERS,
      ...headers,
      "content-type": "text/plain; charset=utf-8",
      "content-length": Buffer.byteLength(body),
    });
  } else {
    res.writeHead(status, {
      ...COMMON_HEADERS,
      "content-type": "application/octet-stream",
      ...headers,
      "content-length": body.length,
    });
  }
  res.end(body);
}

/**
 * Reads a request body up to `maxBytes`. Past the limit the rest is drained and
 * not kept, and the result says how large the body was. A request the client
 * aborts never calls `done`; its socket is destroyed.
 */
export function readBody(
  req: IncomingMessage,
  maxBytes: number,
  done: (result: { body: Buffer } | { tooLarge: number }) => void,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on("data", (chunk: Buffer) => {
    size += chunk.length;
    if (size <= maxBytes) chunks.push(chunk);
    else chunks.length = 0;
  });
  req.on("error", () => req.socket.destroy());
  req.on("end", () => {
    if (size > maxBytes) done({ tooLarge: size });
    else done({ body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) });
  });
}

/**
 * Why a request looks like it comes from a web page on another site, or
 * undefined. A page a developer visits must not write into (or pop records
 * from) their local Eddy: browsers send `Origin` on cross-origin writes and
 * `Sec-Fetch-Site` on everything, non-browser clients send neither. Any origin
 * not in `allowedOrigins` is refused, including one equal to our own host (a
 * DNS-rebinding page would look same-origin).
 */
export function crossOriginProblem(req: IncomingMessage, allowedOrigins: ReadonlySet<string>): string | undefined {
  const origin = req.headers.origin;
  if (origin !== undefined) {
    if (allowedOrigins.has(origin)) return undefined;
    return `requests from web pages at origin "${origin}" are refused (list it in allowedOrigins to allow it)`;
  }
  const site = req.headers["sec-fetch-site"];
  if (site === "cross-site" || site === "same-site") {
    return `requests from web pages on other sites are refused (Sec-Fetch-Site: ${site})`;
  }
  return undefined;
}

/** CORS headers for an allowed origin, so its pages can read the answer. */
export function corsHeaders(req: IncomingMessage, allowedOrigins: ReadonlySet<string>): OutgoingHttpHeaders {
  const origin = req.headers.origin;
  return origin !== undefined && allowedOrigins.has(origin) ? { "access-control-allow-origin": origin, vary: "Origin" } : {};
}

/** One HTTP server of an ingress or egress: started on demand, with the port it got. */
export class HttpListener {
  readonly #handler: (req: IncomingMessage, res: ServerResponse) => void;
  readonly #limits: HttpServerLimits;
  #server: Server | undefined;
  #port = 0;

  constructor(handler: (req: IncomingMessage, res: ServerResponse) => void, limits: HttpServerLimits = HTTP_SERVER_DEFAULTS) {
    this.#handler = handler;
    this.#limits = limits;
  }

  get port(): number {
    return this.#port;
  }

  get limits(): HttpServerLimits {
    return this.#limits;
  }

  async start(port: number, host: string): Promise<void> {
    const started = await listen(this.#handler, port, host, this.#limits);
    this.#server = started.server;
    this.#port = started.port;
  }

  async stop(): Promise<void> {
    await close(this.#server);
    this.#server = undefined;
  }
}
