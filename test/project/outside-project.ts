/**
 * Helpers for tests that use Eddy the way a new user does: from a directory
 * outside this repository, with the packages installed from `npm run pack`'s
 * tarballs, and `eddy` started through npx.
 */
import { execFileSync, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const repoRoot = new URL("../../", import.meta.url).pathname;
export const packsDir = join(repoRoot, "packs");

/** The tarballs `npm run pack` wrote (scripts/run-tests.mjs packs before running test/project). */
export function packTarballs(): string[] {
  const tarballs = existsSync(packsDir) ? readdirSync(packsDir).filter((f) => f.endsWith(".tgz")) : [];
  if (tarballs.length === 0) throw new Error(`no tarballs in ${packsDir}: run \`npm run pack\` (npm test does it before these tests)`);
  return tarballs.map((f) => join(packsDir, f));
}

/** A fresh directory outside the repository. */
export function outsideDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `${prefix}-`));
}

/** Runs npm in `cwd`; returns its combined output, throwing with it on failure. */
export function npm(cwd: string, args: readonly string[]): string {
  try {
    return execFileSync("npm", ["--no-audit", "--no-fund", "--prefer-offline", ...args], {
      cwd,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, EDDY_LOG_LEVEL: "info" },
    });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`npm ${args.join(" ")} in ${cwd} failed: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`);
  }
}

export interface RunningEddy {
  readonly child: ChildProcess;
  output(): { stdout: string; stderr: string };
  /** SIGTERM to npx and eddy; resolves when both have exited and every output line is read. */
  stop(): Promise<void>;
}

/** Starts `npx eddy <args>` in `cwd` (in its own process group) and waits for its ready line. */
export async function startEddy(cwd: string, args: readonly string[]): Promise<RunningEddy> {
  const child = spawn("npx", ["--no-install", "eddy", ...args], {
    cwd,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, EDDY_LOG_LEVEL: "info" },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  // npx exits on SIGTERM at once while eddy, which shares its pipes, is still draining: "close" fires
  // only when every holder of the pipes (eddy included) has gone, so the last log lines are read.
  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const onData = () => {
      if (stdout.includes("eddy is running")) {
        child.stdout.off("data", onData);
        resolve();
      }
    };
    child.stdout.on("data", onData);
    void exited.then((code) => reject(new Error(`npx eddy ${args.join(" ")} exited with ${code} before it was ready:\n${stdout}\n${stderr}`)));
  });
  return {
    child,
    output: () => ({ stdout, stderr }),
    async stop() {
      // npx does not forward signals: stop the whole group (npx and eddy).
      if (child.exitCode === null && child.pid !== undefined) process.kill(-child.pid, "SIGTERM");
      await closed;
    },
  };
}
