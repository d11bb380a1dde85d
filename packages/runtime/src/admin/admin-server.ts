import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { EddyError, isEddyError } from "@eddy/sdk";
import { close, listen } from "../io/http-server.js";
import type { Logger } from "../log/logger.js";
import { adminErrorBody } from "./admin-error-body.js";
import { AdminHttpError } from "./admin-route.js";
import type { AdminMethod, AdminReply, AdminRequest, AdminRoute } from "./admin-route.js";
import { openApiDocument } from "./openapi.js";
import { RouteTable } from "./route-table.js";

export const DEFAULT_ADMIN_PORT = 8099;
export const DEFAULT_ADMIN_HOST = "127.0.0.1";
/** Admin request bodies are small commands; anything larger is refused. */
const MAX_BODY_BYTES = 1024 * 1024;
const METHODS: readonly string[] = ["GET", "POST", "PUT", "DELETE"];

export interface AdminServerOptions {
  /** Default 8099; 0 picks a free port (tests). */
  readonly port?: number;
  /** Default 127.0.0.1: the admin API has no authentication, so it stays on loopback unless told otherwise. */
  readonly host?: string;
  readonly logger: Logger;
  /** Shown in /openapi.json. */
  readonly version?: string;
}

/**
 * The admin HTTP server: health, readiness, state inspection, the quarantine,
 * and whatever else registers a route (metrics, the web console). It is a
 * separate port from every ingress, answers JSON everywhere, and errors as
 * `{ "error": { "code": "EDDY_…", "message": "…" } }`. Handlers only read
 * runtime state or enqueue commands, so admin requests never wait on message
 * processing, nor it on them.
 *
 * @example
 * const admin = new AdminServer({ port: 0, logger });
 * admin.route({ method: "GET", path: "/v1/hello", doc: { summary: "hello", responses: { "200": { description: "hi" } } },
 *   handle: () => ({ json: { hello: "world" } }) });
 * await admin.start();
 */
export class AdminServer {
  readonly #routes = new RouteTable();
  readonly #options: AdminServerOptions;
  #server: Server | undefined;
  #port = 0;

  constructor(options: AdminServerOptions) {
    this.#options = options;
    this.route({
      method: "GET",
      path: "/openapi.json",
      doc: { summary: "This document: every admin endpoint, its parameters and answers", tags: ["admin"], responses: { "200": { description: "OpenAPI 3.1 document" } } },
      handle: () => ({ json: openApiDocument(this.#routes.routes, options.version ?? "0.0.0") }),
    });
  }

  /** Registers an endpoint; allowed before and after start(). */
  route(route: AdminRoute): void {
    this.#routes.add(route);
  }

  get port(): number {
    return this.#port;
  }

  /** The base URL once started, e.g. `http://127.0.0.1:8099`. */
  get url(): string {
    const host = this.#options.host ?? DEFAULT_ADMIN_HOST;
    return `http://${host.includes(":") ? `[${host}]` : host}:${this.#port}`;
  }

  async start(): Promise<void> {
    const port = this.#options.port ?? DEFAULT_ADMIN_PORT;
    const host = this.#options.host ?? DEFAULT_ADMIN_HOST;
    try {
      const started = await listen((req, res) => this.#handle(req, res), port, host);
      this.#server = started.server;
      this.#port = started.port;
    } catch (cause) {
      // listen() wraps the system error in EDDY_LISTEN_FAILED; the admin server names its own flags.
      const code = ((isEddyError(cause, "EDDY_LISTEN_FAILED") ? cause.cause : cause) as NodeJS.ErrnoException).code;
      const hint =
        code === "EADDRINUSE"
          ? "another process uses it; pick another with --admin-port, or --no-admin to run without the admin server"
          : "check --admin-host and --admin-port";
      throw new EddyError("EDDY_CONFIG_INVALID", `admin server cannot listen on ${host}:${port} (${code ?? String(cause)}): ${hint}`, { cause });
    }
  }

  async stop(): Promise<void> {
    await close(this.#server);
    this.#server = undefined;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const rawUrl = req.url ?? "/";
    const queryAt = rawUrl.indexOf("?");
    const path = queryAt < 0 ? rawUrl : rawUrl.slice(0, queryAt);
    const query = new URLSearchParams(queryAt < 0 ? "" : rawUrl.slice(queryAt + 1));
    const method = req.method ?? "GET";
    const match = this.#routes.match(method === "HEAD" ? "GET" : method, path);
    if (match.kind !== "route") {
      req.resume();
      if (match.kind === "method") {
        send(res, 405, { json: adminErrorBody("EDDY_ADMIN_METHOD_NOT_ALLOWED", `${method} is not allowed on ${path}; use ${match.allowed.join(" or ")}`) }, { allow: match.allowed.join(", ") });
      } else if (match.kind === "bad-encoding") {
        send(res, 400, { json: adminErrorBody("EDDY_ADMIN_BAD_REQUEST", `path segment "${match.segment}" of ${path} is not valid percent-encoding`) });
      } else {
        send(res, 404, { json: adminErrorBody("EDDY_ADMIN_NOT_FOUND", `no admin endpoint at ${path}; GET /openapi.json lists them`) });
      }
      return;
    }
    const request: AdminRequest = {
      method: (METHODS.includes(method) ? method : "GET") as AdminMethod,
      path,
      params: match.params,
      query,
      headers: req.headers,
      json: () => readJson(req),
    };
    let replying: AdminReply | Promise<AdminReply>;
    try {
      replying = match.route.handle(request);
    } catch (error) {
      this.#fail(res, error, method, path);
      return;
    }
    Promise.resolve(replying).then(
      (r) => {
        if (!req.complete) req.resume();
        send(res, r.status ?? 200, r, r.headers, method === "HEAD");
      },
      (error: unknown) => {
        if (!req.complete) req.resume();
        this.#fail(res, error, method, path);
      },
    );
  }

  #fail(res: ServerResponse, error: unknown, method: string, path: string): void {
    if (error instanceof AdminHttpError) {
      send(res, error.status, { json: adminErrorBody(error.code, error.message) });
      return;
    }
    if (isEddyError(error)) {
      // A retryable failure (a cluster transaction a rebalance refused, a store that is busy) is the
      // server's for now, not the request's: 503, and the client may repeat it.
      if (error.retryable) {
        send(res, 503, { json: adminErrorBody(error.code, `${error.message}; it may succeed if repeated`) }, { "retry-after": "1" });
        return;
      }
      // The request is right but this worker is the wrong one to ask (another holds the partition): 421 Misdirected
      // Request tells a client or a proxy to try another worker rather than give up, as a 400 would.
      if (error.code === "EDDY_PARTITION_NOT_HERE") {
        send(res, 421, { json: adminErrorBody(error.code, error.message) });
        return;
      }
      send(res, 400, { json: adminErrorBody(error.code, error.message) });
      return;
    }
    this.#options.logger.error({ err: error, method, path }, "admin request failed");
    send(res, 500, {
      json: adminErrorBody("EDDY_ADMIN_FAILED", `${method} ${path} failed: ${error instanceof Error ? error.message : String(error)}`),
    });
  }
}

function send(res: ServerResponse, status: number, reply: AdminReply, headers: Readonly<Record<string, string>> = {}, headOnly = false): void {
  const isJson = "json" in reply;
  const body = isJson ? `${JSON.stringify(reply.json)}\n` : reply.body;
  res.writeHead(status, {
    "content-type": isJson ? "application/json; charset=utf-8" : reply.contentType,
    "content-length": typeof body === "string" ? Buffer.byteLength(body) : body.length,
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    ...headers,
  });
  res.end(headOnly ? undefined : body);
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on("error", reject);
    req.on("end", () => {
      if (size > MAX_BODY_BYTES) {
        reject(new AdminHttpError(413, "EDDY_ADMIN_BAD_REQUEST", `request body of ${size} bytes is larger than ${MAX_BODY_BYTES} bytes`));
        return;
      }
      const text = Buffer.concat(chunks).toString("utf8").trim();
      if (text === "") {
        resolve(undefined);
        return;
      }
      try {
        resolve(JSON.parse(text));
      } catch (error) {
        reject(new AdminHttpError(400, "EDDY_ADMIN_BAD_REQUEST", `request body is not JSON: ${error instanceof Error ? error.message : String(error)}`));
      }
    });
  });
}
