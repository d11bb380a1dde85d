import { connect, createServer } from "node:net";
import type { Server, Socket } from "node:net";
import { listenWhenFree } from "./local-servers.js";

/**
 * A TCP proxy from `listenPort` to `targetPort` on 127.0.0.1 that the test can
 * freeze: while frozen nothing passes in either direction (what arrives is
 * held, not dropped), as in a network partition that heals; release delivers
 * what was held and goes on.
 */
export class FreezableProxy {
  readonly #server: Server;
  readonly #pairs = new Set<{ held: { to: Socket; data: Buffer }[]; sockets: [Socket, Socket] }>();
  #frozen = false;

  private constructor(server: Server) {
    this.#server = server;
  }

  /** Listens on `listenPort` (waiting while another test file holds it, up to `waitMs`: listenWhenFree) and forwards to `targetPort`. */
  static async start(listenPort: number, targetPort: number, waitMs = 240_000): Promise<FreezableProxy> {
    const server = createServer();
    const proxy = new FreezableProxy(server);
    server.on("connection", (client) => proxy.#connect(client, targetPort));
    await listenWhenFree(server, listenPort, waitMs);
    return proxy;
  }

  freeze(): void {
    this.#frozen = true;
  }

  release(): void {
    this.#frozen = false;
    for (const pair of this.#pairs) {
      for (const { to, data } of pair.held) if (!to.destroyed) to.write(data);
      pair.held = [];
    }
  }

  async close(): Promise<void> {
    for (const pair of this.#pairs) for (const s of pair.sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #connect(client: Socket, targetPort: number): void {
    const upstream = connect({ host: "127.0.0.1", port: targetPort });
    const pair = { held: [] as { to: Socket; data: Buffer }[], sockets: [client, upstream] as [Socket, Socket] };
    this.#pairs.add(pair);
    const forward = (to: Socket) => (data: Buffer) => {
      if (this.#frozen) pair.held.push({ to, data });
      else to.write(data);
    };
    client.on("data", forward(upstream));
    upstream.on("data", forward(client));
    const end = () => {
      this.#pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const s of pair.sockets) {
      s.on("error", end);
      s.on("close", end);
    }
  }
}
