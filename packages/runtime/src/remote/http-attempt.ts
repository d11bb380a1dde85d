import { promisify } from "node:util";
import { gunzip, inflate } from "node:zlib";
import type { Dispatcher, Pool } from "undici";
import { ProtocolDecodeError } from "@eddy/protocol/wire";
import { decodeBatchOutcome, isEddyError } from "@eddy/sdk";
import type { BatchOutcome } from "@eddy/sdk";
import type { EndpointTarget } from "./endpoint-url.js";
import type { AttemptFailure, TransportType } from "./retry-rules.js";

/*
 * One POST of a request-reply call, turned into an outcome or a classified
 * failure. It never throws: every problem, including a body that is not
 * protobuf, becomes an AttemptFailure the retry loop can judge.
 */

const OCTET_STREAM = "application/octet-stream";

/** What StateFun's async (Netty) client sends; OkHttp's own headers differ only in ways SDKs ignore. */
const REQUEST_HEADERS = {
  "content-type": OCTET_STREAM,
  accept: OCTET_STREAM,
  "accept-encoding": "gzip,deflate",
  connection: "keep-alive",
  "user-agent": "statefun",
} as const;

/** How much of an error response's text goes into the failure reason. */
const ERROR_SNIPPET_BYTES = 200;

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

export interface AttemptRequest {
  readonly pool: Pool;
  readonly target: EndpointTarget;
  readonly body: Uint8Array;
  readonly transport: TransportType;
  readonly timeoutMs: number;
  readonly connectMs: number;
  /** Longest wait for headers and between body chunks (OkHttp's read timeout); undefined = the attempt's time. */
  readonly readMs: number | undefined;
  readonly payloadMaxBytes: number;
  /** Sent as the `traceparent` header, so the function can continue the trace. */
  readonly traceparent?: string | undefined;
}

export type AttemptResult =
  | { readonly ok: true; readonly outcome: BatchOutcome }
  | { readonly ok: false; readonly failure: AttemptFailure };

/**
 * One attempt, on undici's dispatch API: the response arrives as callbacks
 * into this handler, without the per-request AbortController, Readable body
 * stream and async iteration of `pool.request()` (a tenth of the runtime's
 * CPU per remote message; docs/performance.md). `settle` is called once;
 * whatever undici reports after that (the abort this handler asked for) is
 * ignored.
 */
class AttemptHandler implements Dispatcher.DispatchHandler {
  readonly #req: AttemptRequest;
  readonly #timeoutMs: number;
  readonly #settle: (result: AttemptResult) => void;
  readonly #timer: NodeJS.Timeout;
  #controller: Dispatcher.DispatchController | undefined;
  #settled = false;
  #statusCode = 0;
  #headers: Record<string, string | string[] | undefined> = {};
  /** Reading an error response's start for the failure reason, not a FromFunction. */
  #snippet = false;
  #chunks: Buffer[] = [];
  #size = 0;

  constructor(req: AttemptRequest, settle: (result: AttemptResult) => void) {
    this.#req = req;
    this.#timeoutMs = Math.max(1, Math.ceil(req.timeoutMs));
    this.#settle = settle;
    this.#timer = setTimeout(() => this.#fail({ kind: "timeout", reason: `no complete response within ${this.#timeoutMs} ms` }), this.#timeoutMs);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    // Timed out while the request waited for a connection.
    if (this.#settled) controller.abort(new Error("attempt settled"));
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (this.#settled) return;
    this.#statusCode = statusCode;
    this.#headers = headers;
    if (statusCode < 200 || statusCode > 299) {
      this.#snippet = true;
      return;
    }
    const contentType = headerValues(headers["content-type"]);
    if (!contentTypeAccepted(this.#req.transport, contentType)) {
      const got = contentType.length === 0 ? "is missing" : `${contentType.join(", ")} is not`;
      this.#fail({ kind: "content-type", reason: `response Content-Type ${got} ${OCTET_STREAM}` });
      return;
    }
    const declared = Number(headerValues(headers["content-length"])[0] ?? "0");
    if (declared > this.#req.payloadMaxBytes) this.#fail(tooLarge(this.#req, declared));
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#settled) return;
    this.#size += chunk.byteLength;
    this.#chunks.push(chunk);
    if (this.#snippet) {
      if (this.#size >= ERROR_SNIPPET_BYTES) this.#failStatus();
    } else if (this.#size > this.#req.payloadMaxBytes) {
      this.#fail(tooLarge(this.#req, this.#size));
    }
  }

  onResponseEnd(): void {
    if (this.#settled) return;
    if (this.#snippet) {
      this.#failStatus();
      return;
    }
    clearTimeout(this.#timer);
    void decodeResponse(this.#req, this.#headers, Buffer.concat(this.#chunks, this.#size)).then((result) => this.#finish(result));
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.#settled) return;
    // The status is the failure; a body cut off while reading its start adds nothing.
    if (this.#snippet) this.#failStatus();
    else this.#fail(describeIoError(error, this.#req));
  }

  #failStatus(): void {
    const snippet = snippetText(Buffer.concat(this.#chunks, this.#size));
    const status = this.#statusCode;
    this.#fail({ kind: "status", status, reason: snippet === "" ? `HTTP ${status}` : `HTTP ${status}: ${snippet}` });
  }

  /** Settles with a failure and stops the request if it is still running (its socket closes, as destroying a body does). */
  #fail(failure: AttemptFailure): void {
    if (this.#settled) return;
    this.#finish({ ok: false, failure });
    if (this.#controller !== undefined && !this.#controller.aborted) this.#controller.abort(new Error(failure.reason));
  }

  #finish(result: AttemptResult): void {
    if (this.#settled) return;
    this.#settled = true;
    clearTimeout(this.#timer);
    this.#settle(result);
  }
}

export function attemptCall(req: AttemptRequest): Promise<AttemptResult> {
  return new Promise((resolve) => {
    const handler = new AttemptHandler(req, resolve);
    req.pool.dispatch(
      {
        method: "POST",
        path: req.target.path,
        headers: req.traceparent === undefined ? REQUEST_HEADERS : { ...REQUEST_HEADERS, traceparent: req.traceparent },
        body: req.body,
        // The attempt's timer bounds an async attempt; OkHttp's read timeout bounds each wait on the server.
        headersTimeout: req.readMs ?? 0,
        bodyTimeout: req.readMs ?? 0,
      },
      handler,
    );
  });
}

/** A complete 2xx body: decompressed as its Content-Encoding says, then decoded as a FromFunction. */
async function decodeResponse(req: AttemptRequest, headers: Record<string, string | string[] | undefined>, body: Uint8Array): Promise<AttemptResult> {
  let bytes = body;
  const encoding = (headerValues(headers["content-encoding"])[0] ?? "identity").toLowerCase();
  if (encoding !== "identity") {
    const decompress = encoding === "gzip" || encoding === "x-gzip" ? gunzipAsync : encoding === "deflate" ? inflateAsync : undefined;
    if (decompress === undefined) return failed({ kind: "body", reason: `unsupported response Content-Encoding ${encoding}` });
    try {
      bytes = await decompress(bytes, { maxOutputLength: req.payloadMaxBytes });
    } catch (error) {
      return failed({ kind: "body", reason: `cannot decompress ${encoding} response: ${(error as Error).message}`, cause: error });
    }
  }

  try {
    return { ok: true, outcome: decodeBatchOutcome(bytes) };
  } catch (error) {
    const parse = isEddyError(error) && error.cause instanceof ProtocolDecodeError;
    const message = error instanceof Error ? error.message : String(error);
    return failed(
      parse
        ? { kind: "body", reason: message, cause: error }
        : { kind: "contents", reason: `response is not a valid FromFunction: ${message}`, cause: error },
    );
  }
}

function failed(failure: AttemptFailure): AttemptResult {
  return { ok: false, failure };
}

function tooLarge(req: AttemptRequest, size: number): AttemptFailure {
  return { kind: "too-large", reason: `response body of ${size} bytes exceeds payload_max_bytes (${req.payloadMaxBytes})` };
}

function headerValues(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/**
 * OkHttp compares the media type exactly (no parameters, same case); Netty
 * accepts any listed header value equal to it ignoring case.
 */
function contentTypeAccepted(transport: TransportType, values: readonly string[]): boolean {
  if (transport === "okhttp") return values.length === 1 && values[0] === OCTET_STREAM;
  return values.some((v) => v.split(",").some((part) => part.trim().toLowerCase() === OCTET_STREAM));
}

/** The start of an error body as one line of text, for the failure reason. */
function snippetText(body: Buffer): string {
  const bytes = body.subarray(0, ERROR_SNIPPET_BYTES);
  // Binary bodies say nothing useful in a log line.
  if (bytes.some((b) => b < 0x09 || (b > 0x0d && b < 0x20))) return "";
  return bytes.toString("utf8").replace(/\s+/gu, " ").trim();
}

function describeIoError(error: unknown, req: AttemptRequest): AttemptFailure {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  const io = (reason: string): AttemptFailure => ({ kind: "io", reason, cause: error });
  switch (code) {
    case "UND_ERR_CLOSED":
    case "UND_ERR_DESTROYED":
      return { kind: "closed", reason: "the HTTP pool is closed (shutting down)", cause: error };
    case "ECONNREFUSED":
      return io("connection refused");
    case "UND_ERR_CONNECT_TIMEOUT":
      return io(`connect timeout (${req.connectMs} ms)`);
    case "UND_ERR_HEADERS_TIMEOUT":
      return { kind: "timeout", reason: `read timeout: no response headers within ${req.readMs ?? 0} ms`, cause: error };
    case "UND_ERR_BODY_TIMEOUT":
      return { kind: "timeout", reason: `read timeout: response body stalled for ${req.readMs ?? 0} ms`, cause: error };
    case "ECONNRESET":
      return io("connection reset");
    case "UND_ERR_SOCKET":
      return io(`connection closed by the server (${message})`);
    case "ENOENT":
      return io(`socket file ${req.target.socketPath ?? ""} does not exist`);
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return io(`host ${new URL(req.target.origin).hostname} not found`);
    default:
      return io(code === undefined ? message : `${code}: ${message}`);
  }
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") return code;
  // Happy-eyeballs connects report every address tried inside an AggregateError.
  const inner = (error as { errors?: unknown }).errors;
  return Array.isArray(inner) && inner.length > 0 ? errorCode(inner[0]) : undefined;
}
