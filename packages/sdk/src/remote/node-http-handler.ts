import type { IncomingMessage, ServerResponse } from "node:http";
import type { StatefulFunction } from "../function/stateful-function.js";
import { requestReplyHandler } from "./request-reply-handler.js";
import { errorText } from "./error-text.js";

/**
 * A request listener for `node:http` (or anything with the same shape, such as
 * Express) serving the functions over the request-reply protocol. Like the
 * official JavaScript SDK it answers any method and path; a failure becomes a
 * 500 with a short text body, which the runtime logs and retries.
 *
 * @example
 * createServer(nodeHttpHandler([greeter])).listen(8000);
 */
export function nodeHttpHandler(functions: readonly StatefulFunction[]): (req: IncomingMessage, res: ServerResponse) => void {
  const handler = requestReplyHandler(functions);
  return (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("error", () => res.destroy());
    req.on("end", () => {
      handler.handle(Buffer.concat(chunks)).then(
        (body) => {
          res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": body.byteLength });
          res.end(body);
        },
        (error: unknown) => {
          const text = errorText(error);
          res.writeHead(500, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": Buffer.byteLength(text) });
          res.end(text);
        },
      );
    });
  };
}
