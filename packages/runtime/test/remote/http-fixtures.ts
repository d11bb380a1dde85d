// Real HTTP servers on 127.0.0.1 (or a Unix socket) and a logger that keeps
// what it logs, for the remote invoker tests. No network call is mocked.
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface TestServer {
  readonly server: Server;
  /** `http://127.0.0.1:<port>` (no trailing slash), or "" for a Unix socket server. */
  readonly origin: string;
  close(): Promise<void>;
}

export type Listener = (req: IncomingMessage, res: ServerResponse) => void;

export async function startServer(listener: Listener, socketPath?: string): Promise<TestServer> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => {
    if (socketPath === undefined) server.listen(0, "127.0.0.1", resolve);
    else server.listen(socketPath, resolve);
  });
  const origin = socketPath === undefined ? `http://127.0.0.1:${(server.address() as AddressInfo).port}` : "";
  return {
    server,
    origin,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port that nothing listens on: bound once, then released. */
export async function closedPort(): Promise<number> {
  const s = await startServer((_req, res) => res.end());
  const port = (s.server.address() as AddressInfo).port;
  await s.close();
  return port;
}

/** Reads a request body whole. */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

