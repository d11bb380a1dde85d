import { createHash } from "node:crypto";
import type { ModuleConfig } from "../config/index.js";

/**
 * A fingerprint of what a module file makes a worker do: its components'
 * kinds and specs, without source positions and without the playground
 * ingress's port (workers on one machine must listen on different ports).
 * Every worker of a cluster must run the same module, so the workers compare
 * fingerprints when they join.
 */
export function moduleDigest(config: ModuleConfig): string {
  const components = config.components.map((c) => {
    if (c.kind !== "io.statefun.playground.v1/ingress") return { kind: c.kind, spec: c.spec };
    const { port: _port, ...rest } = c.spec;
    return { kind: c.kind, spec: rest };
  });
  const json = JSON.stringify(components, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value));
  return createHash("sha256").update(json).digest("hex");
}
