/**
 * `eddy` as a child process run from the sources, the way the scenario tests
 * that stop, kill or restart the runtime need it. One implementation of
 * "spawn, collect the output, wait for a line" for all of them.
 */
import { spawn } from "node:child_process";
import { appendFileSync } from "node:fs";
import type { ChildProcess } from "node:child_process";
import { join } from "node:path";

const repo = new URL("../../../../", import.meta.url).pathname;
const cli = join(repo, "packages/runtime/src/cli/main.ts");

export interface EddyProcessOptions {
  /** Added to the environment (EDDY_LOG_LEVEL is info unless set here). */
  readonly env?: Readonly<Record<string, string>>;
  /** Runs eddy under `ulimit -f` (KiB): its writes past that size fail with EFBIG, like a full disk. */
  readonly fileLimitKb?: number;
}

export interface EddyProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** stdout and stderr as read so far, interleaved. */
  output(): string;
  stdout(): string;
  stderr(): string;
  /** Resolves once the output contains `text`; rejects when eddy exits first or after `timeoutMs`. */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  kill(signal: NodeJS.Signals): void;
  /** The exit code (null after a signal), once the process has exited and its output is read. */
  readonly exited: Promise<number | null>;
}

/**
 * Spawns `eddy <args>`. `eddy run` gets `--admin-port 0` unless the args say
 * otherwise, so no test takes the default admin port.
 */
export function spawnEddy(args: readonly string[], options: EddyProcessOptions = {}): EddyProcess {
  const withAdmin = args[0] === "run" && !args.includes("--admin-port") ? [...args, "--admin-port", "0"] : args;
  const command = [process.execPath, "--conditions=eddy-source", "--import", "tsx", cli, ...withAdmin];
  const env = { ...process.env, EDDY_LOG_LEVEL: "info", ...options.env };
  const spawnOptions = { cwd: repo, env, stdio: ["ignore", "pipe", "pipe"] as ["ignore", "pipe", "pipe"] };
  const child =
    options.fileLimitKb === undefined
      ? spawn(command[0]!, command.slice(1), spawnOptions)
      : spawn("bash", ["-c", `ulimit -f ${options.fileLimitKb}; exec "$@"`, "eddy", ...command], spawnOptions);
  let output = "";
  let stdout = "";
  let stderr = "";
  // EDDY_TEST_LOG_DIR=<dir> keeps each process's whole output in <dir>/<pid>.log, for looking into a failed run.
  const logDir = process.env["EDDY_TEST_LOG_DIR"] || undefined;
  const keep = (d: Buffer): void => {
    if (logDir !== undefined) appendFileSync(join(logDir, `${child.pid}.log`), d);
  };
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
    output += d.toString();
    keep(d);
  });
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
    output += d.toString();
    keep(d);
  });
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  return {
    child,
    pid: child.pid!,
    output: () => output,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    kill: (signal) => child.kill(signal),
    waitFor(text, timeoutMs = 30_000) {
      const found = () => (typeof text === "string" ? output.includes(text) : text.test(output));
      if (found()) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const done = (error?: Error) => {
          clearTimeout(timer);
          child.stdout.off("data", check);
          child.stderr.off("data", check);
          if (error === undefined) resolve();
          else reject(error);
        };
        const check = () => {
          if (found()) done();
        };
        const timer = setTimeout(
          () => done(new Error(`eddy did not print ${String(text)} within ${timeoutMs} ms; output:\n${output.slice(-4000)}`)),
          timeoutMs,
        );
        child.stdout.on("data", check);
        child.stderr.on("data", check);
        void exited.then((code) => {
          if (!found()) done(new Error(`eddy exited (${code ?? child.signalCode}) before printing ${String(text)}; output:\n${output.slice(-4000)}`));
        });
      });
    },
  };
}

/** Spawns `eddy <args>` and waits for its "eddy is running" line. */
export async function startEddy(args: readonly string[], options: EddyProcessOptions = {}, timeoutMs = 30_000): Promise<EddyProcess> {
  const eddy = spawnEddy(args, options);
  try {
    await eddy.waitFor("eddy is running", timeoutMs);
  } catch (error) {
    eddy.kill("SIGKILL");
    throw error;
  }
  return eddy;
}
