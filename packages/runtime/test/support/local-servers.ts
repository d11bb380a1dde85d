/** Helpers for tests that run Eddy as a real process on loopback ports. */
import { createServer } from "node:net";

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
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
