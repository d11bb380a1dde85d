import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** Starts a node:http server on host:port and resolves once it listens (port 0 picks a free one). */
export async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  port: number,
  host: string,
): Promise<{ server: Server; port: number }> {
  const server = createServer({ keepAlive: true }, handler);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return { server, port: (server.address() as AddressInfo).port };
}

export async function close(server: Server | undefined): Promise<void> {
  if (server === undefined) return;
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

export function reply(res: ServerResponse, status: number, body: string | Uint8Array = ""): void {
  if (typeof body === "string") {
    res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(body) });
  } else {
    res.writeHead(status, { "content-type": "application/octet-stream", "content-length": body.length });
  }
  res.end(body);
}

/** One HTTP server of an ingress or egress: started on demand, with the port it got. */
export class HttpListener {
  readonly #handler: (req: IncomingMessage, res: ServerResponse) => void;
  #server: Server | undefined;
  #port = 0;

  constructor(handler: (req: IncomingMessage, res: ServerResponse) => void) {
    this.#handler = handler;
  }

  get port(): number {
    return this.#port;
  }

  async start(port: number, host: string): Promise<void> {
    const started = await listen(this.#handler, port, host);
    this.#server = started.server;
    this.#port = started.port;
  }

  async stop(): Promise<void> {
    await close(this.#server);
    this.#server = undefined;
  }
}
