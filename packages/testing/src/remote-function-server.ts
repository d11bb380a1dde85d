import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { nodeHttpHandler } from "@eddy/sdk";
import type { StatefulFunction } from "@eddy/sdk";

/**
 * Functions served by `@eddy/sdk`'s `nodeHttpHandler` on a free loopback port
 * of this process: the runtime reaches them over real HTTP and the
 * request-reply protocol, exactly as a deployed remote function.
 */
export class RemoteFunctionServer {
  readonly #server: Server;
  #port = 0;

  constructor(functions: readonly StatefulFunction[]) {
    this.#server = createServer(nodeHttpHandler(functions));
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(0, "127.0.0.1", () => resolve());
    });
    this.#port = (this.#server.address() as AddressInfo).port;
  }

  /** The URL the runtime calls for one function type. */
  urlOf(functionType: string): string {
    return `http://127.0.0.1:${this.#port}/${functionType}`;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
