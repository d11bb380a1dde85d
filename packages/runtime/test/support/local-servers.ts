/** Helpers for tests that run Eddy as a real process on loopback ports. */
import { createServer } from "node:net";
import type { Server } from "node:net";

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * Listens on 127.0.0.1:`port`; while another test file holds the port (the broker advertises one proxy port, which
 * the proxies of several test files take in turn), tries again every 500 ms, up to `waitMs`.
 */
export async function listenWhenFree(server: Server, port: number, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, "127.0.0.1", () => {
          server.off("error", reject);
          resolve();
        });
      });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE" || Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** A module.yaml binding embedded functions behind the playground ingress and egress. */
export function playgroundModuleYaml(options: {
  readonly functions: string;
  readonly module: string;
  readonly ingressPort: number;
  readonly egressPort: number;
  readonly topics: readonly string[];
}): string {
  return [
    "kind: io.eddy.functions.v1/embedded",
    "spec:",
    `  functions: ${options.functions}`,
    `  module: ${options.module}`,
    "---",
    "kind: io.statefun.playground.v1/ingress",
    "spec:",
    `  port: ${options.ingressPort}`,
    "---",
    "kind: io.statefun.playground.v1/egress",
    "spec:",
    `  port: ${options.egressPort}`,
    `  topics: [${options.topics.join(", ")}]`,
  ].join("\n");
}
