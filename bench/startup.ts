/**
 * Startup figures of the built packages (what `npm run demo` and `npx eddy run`
 * execute): the cost of importing `@eddy/runtime`, a no-op `npm run build`, and
 * the time from starting `eddy run` to its ready line for the greeter module.
 * `npm run demo` is the build check (`node scripts/build.mjs`) followed by that run.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { playgroundModuleYaml, freePort } from "../packages/runtime/test/support/local-servers.js";
import { percentile } from "./stats.js";

const root = new URL("..", import.meta.url).pathname;

function median(values: readonly number[]): number {
  return percentile([...values].sort((a, b) => a - b), 0.5);
}

export interface StartupResult {
  /** `await import("@eddy/runtime")` in a fresh process, measured inside it. */
  readonly importRuntimeMs: number;
  /** `node scripts/build.mjs` when nothing changed (the first half of `npm run demo`). */
  readonly noopBuildMs: number;
  /** From spawning `eddy run` (greeter, playground ingress and egress, in memory) to its ready line. */
  readonly eddyRunReadyMs: number;
  /** The same, once, with the greeter's compiled-module cache emptied first (it compiles the .ts file). */
  readonly eddyRunFirstReadyMs: number;
  /** The sum of the two: `npm run demo` from start to ready when nothing changed. */
  readonly demoStartMs: number;
}

function timeImport(): number {
  const out = execFileSync(
    process.execPath,
    ["--input-type=module", "-e", 'const t = performance.now(); await import("@eddy/runtime"); process.stdout.write(String(performance.now() - t));'],
    { cwd: root, encoding: "utf8" },
  );
  return Number(out);
}

function timeNoopBuild(): number {
  const t = performance.now();
  execFileSync(process.execPath, [join(root, "scripts/build.mjs")], { cwd: root, stdio: "ignore" });
  return performance.now() - t;
}

async function timeEddyRun(moduleFile: string): Promise<number> {
  const t = performance.now();
  const child = spawn(process.execPath, [join(root, "packages/runtime/bin/eddy.js"), "run", moduleFile, "--in-memory", "--admin-port", "0"], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const ready = await new Promise<number>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("eddy is running")) resolve(performance.now() - t);
    });
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.once("exit", (code) => reject(new Error(`eddy run exited with ${code} before it was ready: ${out}`)));
  });
  child.kill("SIGTERM");
  await exited;
  return ready;
}

export async function benchStartup(runs: number): Promise<StartupResult> {
  const dir = mkdtempSync(join(tmpdir(), "eddy-bench-startup-"));
  try {
    const moduleFile = join(dir, "module.yaml");
    writeFileSync(
      moduleFile,
      playgroundModuleYaml({ functions: "apache/greeter", module: join(root, "examples/greeter/greeter.ts"), ingressPort: await freePort(), egressPort: await freePort(), topics: ["greetings"] }),
    );
    timeNoopBuild(); // builds whatever is not built yet; the runs below measure the no-op
    // The first start after a change compiles the module (packages/runtime/src/app/compiled-module-cache.ts).
    rmSync(join(root, "node_modules/.cache/eddy"), { recursive: true, force: true });
    const eddyRunFirstReadyMs = await timeEddyRun(moduleFile);
    const imports: number[] = [];
    const builds: number[] = [];
    const readies: number[] = [];
    for (let i = 0; i < runs; i++) {
      imports.push(timeImport());
      builds.push(timeNoopBuild());
      readies.push(await timeEddyRun(moduleFile));
    }
    const noopBuildMs = median(builds);
    const eddyRunReadyMs = median(readies);
    return { importRuntimeMs: median(imports), noopBuildMs, eddyRunReadyMs, eddyRunFirstReadyMs, demoStartMs: noopBuildMs + eddyRunReadyMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
