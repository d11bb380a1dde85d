import type { StatefulFunction } from "../function/stateful-function.js";
import { errorText } from "./error-text.js";
import { requestReplyHandler } from "./request-reply-handler.js";

/**
 * A handler for runtimes built on the Fetch API (Deno, Bun, Cloudflare Workers,
 * Node's `Request`/`Response`) serving the functions over the request-reply
 * protocol. Any method and path is answered; a failure becomes a 500 with a
 * short text body.
 *
 * @example
 * Deno.serve(fetchHandler([greeter]));
 */
export function fetchHandler(functions: readonly StatefulFunction[]): (request: Request) => Promise<Response> {
  const handler = requestReplyHandler(functions);
  return async (request) => {
    try {
      const body = await handler.handle(new Uint8Array(await request.arrayBuffer()));
      return new Response(body, { status: 200, headers: { "Content-Type": "application/octet-stream" } });
    } catch (error) {
      return new Response(errorText(error), { status: 500, headers: { "Content-Type": "text/plain; charset=utf-8" } });
    }
  };
}
