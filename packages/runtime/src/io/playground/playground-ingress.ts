import type { IncomingMessage, ServerResponse } from "node:http";
import { EddyError, isEddyError, isValidTypeName, REPLY_NAMESPACE } from "@eddy/sdk";
import type { Address } from "@eddy/sdk";
import type { Ingress, IngressSink } from "../../model/ingress.js";
import { HTTP_SERVER_DEFAULTS } from "../../config/http-server-spec.js";
import type { HttpServerLimits } from "../../config/http-server-spec.js";
import { corsHeaders, crossOriginProblem, HttpListener, readBody, reply } from "../http-server.js";
import { builtinTypeProblem } from "../declared-type.js";
import { PendingRequests } from "../request-reply/pending-requests.js";
import type { Logger } from "../../log/logger.js";

export const PLAYGROUND_INGRESS_ID = "io.statefun.playground/ingress";
const VND_PREFIX = "application/vnd.";
const METHODS = "PUT, POST";

export interface PlaygroundIngressOptions {
  readonly port: number;
  /** Default 127.0.0.1; use 0.0.0.0 to serve other hosts. */
  readonly host?: string;
  /** Timeouts and sizes of the HTTP server (`HTTP_SERVER_DEFAULTS` for what is not given). */
  readonly limits?: Partial<HttpServerLimits>;
  /** Origins (`scheme://host[:port]`) whose web pages may send messages; every other browser request is refused. */
  readonly allowedOrigins?: readonly string[];
  /** When given, a `POST` waits up to `timeoutMs` for the function's reply and answers with it (docs/request-reply.md). */
  readonly requestReply?: { readonly timeoutMs: number };
  /**
   * How long a request may wait while the runtime pushes back (too many
   * messages waiting, an egress that cannot deliver) before it is answered
   * 503 with the reason and `Retry-After`, nothing accepted. Default 10 s.
   */
  readonly maxAcceptWaitMs?: number;
  readonly logger?: Logger;
}

const DEFAULT_MAX_ACCEPT_WAIT_MS = 10_000;

/** The reply addresses of the playground ingress's requests: `io.eddy.reply/http/<request id>`. */
export const PLAYGROUND_REPLY_TYPE = `${REPLY_NAMESPACE}/http`;

/**
 * StateFun's playground ingress: `PUT` or `POST` on `/<namespace>/<type>/<id>`
 * sends the body to that address, typed by a
 * `Content-Type: application/vnd.<namespace>/<name>` header. It answers 200
 * once the message is accepted. Unlike the playground (any method, any content
 * type, 500 and a failed job), other methods get 405, other content types 415
 * (a browser can send those cross-site without asking), requests from web pages
 * of origins not in `allowedOrigins` 403, and malformed requests a 4xx that
 * says why. A CORS preflight from an allowed origin is answered, never
 * delivered as a message.
 * A W3C `traceparent` header joins the message's processing to the caller's
 * trace (when tracing is on).
 */
export class PlaygroundIngress implements Ingress {
  readonly id = PLAYGROUND_INGRESS_ID;
  readonly #options: PlaygroundIngressOptions;
  readonly #limits: HttpServerLimits;
  readonly #allowedOrigins: ReadonlySet<string>;
  readonly #http: HttpListener;
  readonly #replies: PendingRequests | undefined;
  readonly #maxWaitMs: number;
  #sink: IngressSink | undefined;

  constructor(options: PlaygroundIngressOptions) {
    this.#options = options;
    if (options.requestReply !== undefined) {
      this.#replies = new PendingRequests({
        replyType: PLAYGROUND_REPLY_TYPE,
        timeoutMs: options.requestReply.timeoutMs,
        ...(options.logger === undefined ? {} : { logger: options.logger }),
      });
    }
    this.#limits = { ...HTTP_SERVER_DEFAULTS, ...options.limits };
    this.#maxWaitMs = options.maxAcceptWaitMs ?? DEFAULT_MAX_ACCEPT_WAIT_MS;
    this.#allowedOrigins = new Set(options.allowedOrigins ?? []);
    this.#http = new HttpListener((req, res) => this.#handle(req, res), this.#limits);
  }

  get port(): number {
    return this.#http.port;
  }

  /** The requests waiting for their reply (undefined without `requestReply`). */
  get replies(): PendingRequests | undefined {
    return this.#replies;
  }

  async start(sink: IngressSink): Promise<void> {
    this.#sink = sink;
    const replies = this.#replies;
    if (replies !== undefined) {
      if (sink.receiveReplies === undefined) throw new EddyError("EDDY_CONFIG_INVALID", "requestReply needs a runtime that routes replies");
      sink.receiveReplies(replies.replyType, (to, value) => replies.receive(to, value));
    }
    await this.#http.start(this.#options.port, this.#options.host ?? "127.0.0.1");
  }

  async stop(): Promise<void> {
    // Waiting requests would hold the server open until their timeout; their messages are processed regardless.
    this.#replies?.closeAll();
    await this.#http.stop();
  }

  describe(): string {
    const waits = this.#replies === undefined ? "" : `; POST waits up to ${this.#replies.timeoutMs} ms for the reply`;
    return `playground ingress on http://${this.#options.host ?? "127.0.0.1"}:${this.#http.port}/<namespace>/<type>/<id>${waits}`;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const refusal = this.#refusal(req);
    if (refusal !== undefined) {
      req.resume();
      reply(res, refusal.status, refusal.text === "" ? "" : `${refusal.text}\n`, refusal.headers);
      return;
    }
    const cors = corsHeaders(req, this.#allowedOrigins);
    const target = parseTargetPath(req.url ?? "/");
    if (typeof target === "string") {
      req.resume();
      reply(res, 404, `${target}\n`, cors);
      return;
    }
    const typename = typenameOf(req.headers["content-type"]);
    if (typeof typename !== "string") {
      req.resume();
      reply(res, 415, `${typename.problem}\n`, cors);
      return;
    }
    readBody(req, this.#limits.maxBodyBytes, (read) => {
      if ("tooLarge" in read) {
        reply(res, 413, `body of ${read.tooLarge} bytes is larger than the limit of ${this.#limits.maxBodyBytes} bytes\n`, cors);
        return;
      }
      const body = read.body;
      const argument = { typename, value: new Uint8Array(body.buffer, body.byteOffset, body.length) };
      const sink = this.#sink!;
      // Bytes that cannot be the built-in type they declare would fail the address forever, accepts or not.
      const problem = sink.checkTarget(target, argument) ?? builtinTypeProblem(argument);
      if (problem !== undefined) {
        reply(res, problem.code === "EDDY_UNKNOWN_FUNCTION" ? 404 : 400, `${target.type}/${target.id}: ${problem.message}\n`, cors);
        return;
      }
      const traceparent = req.headers.traceparent;
      const caller = req.method === "POST" ? this.#replies?.open(res, target, cors) : undefined;
      const message = { target, argument, traceparent: typeof traceparent === "string" ? traceparent : undefined };
      sink.accept([caller === undefined ? message : { ...message, caller }], undefined, { maxWaitMs: this.#maxWaitMs }).then(
        () => {
          if (caller === undefined) reply(res, 200, "", cors);
          else this.#replies!.accepted(caller);
        },
        (error: unknown) => {
          if (caller !== undefined) this.#replies!.refused(caller);
          if (isEddyError(error, "EDDY_SHUTTING_DOWN")) reply(res, 503, "the runtime is shutting down; retry later\n", cors);
          else if (isEddyError(error, "EDDY_OVERLOADED")) reply(res, 503, `${error.message}\n`, { ...cors, "retry-after": "1" });
          else if (isEddyError(error, "EDDY_STORE_FAILED")) reply(res, 503, `${error.message}\n`, cors);
          else reply(res, 500, `${error instanceof Error ? error.message : String(error)}\n`, cors);
        },
      );
    });
  }

  /** A request refused before its path is looked at: from a foreign web page, a preflight, another method. */
  #refusal(req: IncomingMessage): { status: number; text: string; headers?: Record<string, string> } | undefined {
    const crossOrigin = crossOriginProblem(req, this.#allowedOrigins);
    if (crossOrigin !== undefined) return { status: 403, text: crossOrigin };
    if (req.method === "OPTIONS") {
      if (req.headers.origin === undefined) {
        return { status: 405, text: `OPTIONS sends no message; use ${METHODS}`, headers: { allow: METHODS } };
      }
      // A preflight from an allowed origin: say what its page may send.
      return {
        status: 204,
        text: "",
        headers: {
          "access-control-allow-origin": req.headers.origin,
          "access-control-allow-methods": METHODS,
          "access-control-allow-headers": "content-type",
          "access-control-max-age": "600",
          vary: "Origin",
        },
      };
    }
    if (req.method !== "PUT" && req.method !== "POST") {
      return { status: 405, text: `${req.method ?? "?"} sends no message; use ${METHODS}`, headers: { allow: METHODS } };
    }
    return undefined;
  }
}

/** The target address of a request path, or why the path is not one. */
export function parseTargetPath(url: string): Address | string {
  const path = url.split("?", 1)[0]!;
  const segments = path.split("/").slice(1);
  const usage = `expected a path /<namespace>/<type>/<id>, got "${path}"`;
  if (segments.length !== 3 || segments.some((s) => s.length === 0)) return usage;
  try {
    const [namespace, type, id] = segments.map((s) => decodeURIComponent(s)) as [string, string, string];
    return { type: `${namespace}/${type}`, id };
  } catch {
    return `${usage} (bad percent-encoding)`;
  }
}

/**
 * The message type named by a `Content-Type: application/vnd.<namespace>/<name>` header. The
 * playground sent any other body as a string; a browser can send text/plain or a form cross-site
 * without asking first, so Eddy takes only its own media type.
 */
function typenameOf(contentType: string | undefined): string | { problem: string } {
  const usage = `use Content-Type: application/vnd.<namespace>/<name> (e.g. application/vnd.example/Text for raw bytes the function reads as they are)`;
  if (contentType === undefined) return { problem: `the request has no Content-Type; ${usage}` };
  for (const part of contentType.split(",")) {
    const value = part.trim();
    if (value.toLowerCase().startsWith(VND_PREFIX)) {
      const typename = value.slice(VND_PREFIX.length).split(";", 1)[0]!.trim();
      if (isValidTypeName(typename)) return typename;
      return { problem: `Content-Type names the type "${typename}", which is not "namespace/name"` };
    }
  }
  return { problem: `Content-Type "${contentType}" names no message type; ${usage}` };
}
