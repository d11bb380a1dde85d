// Real processes, sockets and HTTP for the co-located tests; nothing is mocked.
import { freePort } from "../support/local-servers.js";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadModuleFile } from "../../src/config/index.js";
import type { ColocatedFunctionsSpec, ModuleComponent, ModuleConfig } from "../../src/config/index.js";

export const repo = new URL("../../../../", import.meta.url).pathname;

/**
 * Children run `node --import tsx functions.ts` like the examples; this makes
 * their `@eddy/sdk` resolve to the TypeScript sources, as the test runner's
 * own does, so the tests need no build.
 */
export { freePort };

export const SOURCE_CONDITIONS = { NODE_OPTIONS: "--conditions=eddy-source" } as const;


export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export { waitFor } from "../support/wait-for.js";

/** The pid (and process group) of the co-located process, from a runtime's log. */
export function colocatedPid(output: string): number {
  for (const line of output.split("\n")) {
    if (!line.includes("co-located process started")) continue;
    return (JSON.parse(line) as { pid: number }).pid;
  }
  throw new Error(`no co-located process in:\n${output}`);
}

/** True while any process of the group `pgid` lives. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface Ports {
  readonly ingress: number;
  readonly egress: number;
}

/**
 * Loads an example's module.yaml as written, then moves its playground ports
 * to free ones (and applies `colocated` / `endpointUrl` overrides), so tests
 * run beside a developer's `eddy run` on 8090/8091.
 */
export async function loadExample(
  name: string,
  overrides: { colocated?: Partial<ColocatedFunctionsSpec>; endpointUrl?: string } = {},
): Promise<{ config: ModuleConfig; ports: Ports }> {
  const config = await loadModuleFile(join(repo, "examples", name, "module.yaml"));
  const ports = { ingress: await freePort(), egress: await freePort() };
  const components = config.components.map((c): ModuleComponent => {
    switch (c.kind) {
      case "io.statefun.playground.v1/ingress":
        return { ...c, spec: { ...c.spec, port: ports.ingress } };
      case "io.statefun.playground.v1/egress":
        return { ...c, spec: { ...c.spec, port: ports.egress } };
      case "io.eddy.functions.v1/colocated":
        return { ...c, spec: { ...c.spec, ...overrides.colocated, env: { ...c.spec.env, ...SOURCE_CONDITIONS } } };
      case "io.statefun.endpoints.v2/http":
        return overrides.endpointUrl === undefined ? c : { ...c, spec: { ...c.spec, urlPathTemplate: overrides.endpointUrl } };
      default:
        return c;
    }
  });
  return { config: { ...config, components }, ports };
}

export function greet(ports: Ports, who: string): Promise<Response> {
  return fetch(`http://127.0.0.1:${ports.ingress}/apache/greeter/${encodeURIComponent(who)}`, {
    method: "PUT",
    headers: { "Content-Type": "application/vnd.apache/GreetRequest" },
    body: JSON.stringify({ who }),
  });
}

/** Pops greetings from the playground egress until `count` arrived. */
export async function takeGreetings(ports: Ports, count: number, timeoutMs = 20_000): Promise<string[]> {
  const out: string[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < count) {
    const res = await fetch(`http://127.0.0.1:${ports.egress}/greetings`);
    if (res.status === 200) {
      out.push(await res.text());
      continue;
    }
    await res.body?.cancel();
    if (Date.now() > deadline) throw new Error(`only ${out.length} of ${count} greetings arrived: ${JSON.stringify(out)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return out;
}

/** A plain node script in a fresh temp dir (for processes that need no SDK). */
export function writeScript(source: string): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), "eddy-colocated-test-"));
  const file = join(dir, "child.mjs");
  writeFileSync(file, source);
  return { dir, file };
}
