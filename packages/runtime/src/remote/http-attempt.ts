import { promisify } from "node:util";
import { gunzip, inflate } from "node:zlib";
import type { Dispatcher, Pool } from "undici";
import { ProtocolDecodeError } from "@eddy/protocol";
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

class AttemptTimeout extends Error {}

function ignore(): void {}

export async function attemptCall(req: AttemptRequest): Promise<AttemptResult> {
  const controller = new AbortController();
  const timeoutMs = Math.max(1, Math.ceil(req.timeoutMs));
  const timer = setTimeout(() => controller.abort(new AttemptTimeout()), timeoutMs);
  try {
    const response = await req.pool.request({
      method: "POST",
      path: req.target.path,
      headers: req.traceparent === undefined ? REQUEST_HEADERS : { ...REQUEST_HEADERS, traceparent: req.traceparent },
      body: req.body,
      signal: controller.signal,
      // The abort timer bounds an async attempt; OkHttp's read timeout bounds each wait on the server.
      headersTimeout: req.readMs ?? 0,
      bodyTimeout: req.readMs ?? 0,
    });
    return await readResponse(req, response);
  } catch (error) {
    if (controller.signal.aborted) {
      return failed({ kind: "timeout", reason: `no complete response within ${timeoutMs} ms`, cause: error });
    }
    return failed(describeIoError(error, req));
  } finally {
    clearTimeout(timer);
  }
}

function failed(failure: AttemptFailure): AttemptResult {
  return { ok: false, failure };
}

async function readResponse(req: AttemptRequest, response: Dispatcher.ResponseData): Promise<AttemptResult> {
  const { statusCode, headers, body } = response;
  // undici emits "error" when a body is destroyed before its end; without a
  // listener that would be an uncaught exception. Reads still see real errors.
  body.on("error", ignore);
  if (statusCode < 200 || statusCode > 299) {
    const snippet = await readSnippet(body);
    return failed({
      kind: "status",
      status: statusCode,
      reason: snippet === "" ? `HTTP ${statusCode}` : `HTTP ${statusCode}: ${snippet}`,
    });
  }
  const contentType = headerValues(headers["content-type"]);
  if (!contentTypeAccepted(req.transport, contentType)) {
    body.destroy();
    const got = contentType.length === 0 ? "is missing" : `${contentType.join(", ")} is not`;
    return failed({ kind: "content-type", reason: `response Content-Type ${got} ${OCTET_STREAM}` });
  }
  const declared = Number(headerValues(headers["content-length"])[0] ?? "0");
  if (declared > req.payloadMaxBytes) {
    body.destroy();
    return failed(tooLarge(req, declared));
  }

  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > req.payloadMaxBytes) {
      body.destroy();
      return failed(tooLarge(req, size));
    }
    chunks.push(chunk);
  }
  let bytes: Uint8Array = Buffer.concat(chunks, size);

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
async function readSnippet(body: Dispatcher.ResponseData["body"]): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.byteLength;
      if (size >= ERROR_SNIPPET_BYTES) break;
    }
  } catch {
    // The status is the failure; an unreadable body adds nothing.
  } finally {
    body.destroy();
  }
  const bytes = Buffer.concat(chunks, size).subarray(0, ERROR_SNIPPET_BYTES);
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
