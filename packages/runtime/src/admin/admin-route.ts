import type { IncomingHttpHeaders } from "node:http";
import { EddyError } from "@eddy/sdk";
import type { ErrorCode } from "@eddy/sdk";

export type AdminMethod = "GET" | "POST" | "PUT" | "DELETE";

/** What a route handler gets: the matched path parameters (percent-decoded), the query, the headers and the body. */
export interface AdminRequest {
  readonly method: AdminMethod;
  /** The request path without the query. */
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /** The request body parsed as JSON (undefined when empty); a body that is not JSON answers 400. */
  json(): Promise<unknown>;
}

/** A JSON answer (the default) or a raw one (Prometheus text, HTML, assets). */
export type AdminReply =
  | { readonly status?: number; readonly json: unknown; readonly headers?: Readonly<Record<string, string>> }
  | {
      readonly status?: number;
      readonly contentType: string;
      readonly body: string | Uint8Array;
      readonly headers?: Readonly<Record<string, string>>;
    };

/** An OpenAPI 3.1 operation fragment: what the route answers, for `GET /openapi.json`. */
export interface AdminRouteDoc {
  readonly summary: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  readonly parameters?: readonly unknown[];
  readonly requestBody?: unknown;
  /** Status → OpenAPI response object. Error statuses are answered with the shared `Error` schema. */
  readonly responses: Readonly<Record<string, unknown>>;
}

/**
 * One admin endpoint. `path` is literal segments and `{name}` parameters (one
 * segment each, percent-decoded, possibly empty: the handler says what is
 * wrong with it); a last `{name*}` takes the rest of the path, one segment or
 * more (for static assets). The most specific route matching
 * a path answers: at the first segment where two routes differ, a literal
 * beats a `{name}`, which beats a `{name*}`, whatever the order they were
 * registered in; so `/ui`, `/ui/app.js` and `/ui/{asset*}` coexist.
 */
export interface AdminRoute {
  readonly method: AdminMethod;
  readonly path: string;
  readonly doc: AdminRouteDoc;
  /** Left out of /openapi.json (for example the console's static files). */
  readonly hidden?: boolean;
  handle(request: AdminRequest): AdminReply | Promise<AdminReply>;
}

/**
 * An error a handler throws to answer with a status and the JSON error body
 * `{ "error": { "code", "message" } }`. The code is one of the codes listed
 * in `@eddy/sdk`'s ERROR_CODES (docs/errors.md).
 */
export class AdminHttpError extends EddyError {
  readonly status: number;

  constructor(status: number, code: ErrorCode, message: string) {
    super(code, message);
    this.status = status;
  }
}
