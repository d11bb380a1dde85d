import { spawn } from "node:child_process";
import { PARENT_WATCH_SOURCE, SPAWN_FAILED_EXIT } from "./parent-watch.js";
import type { ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { EddyError } from "@eddy/sdk";
import type { ColocatedFunctionsSpec } from "../config/index.js";
import type { Logger } from "../log/logger.js";
import type { ListenAddress } from "./listen-address.js";
import { backoffDelay } from "../retry/backoff.js";
import { sleep } from "../retry/sleep.js";
import {
  canConnect,
  describeListen,
  endpointUrl,
  listenEnv,
  removeListenAddress,
  removeStaleSocket,
  tcpListenAddress,
  unixListenAddress,
} from "./listen-address.js";

export interface ColocatedProcessOptions {
  readonly spec: ColocatedFunctionsSpec;
  readonly logger: Logger;
  /** Where the component is declared (`file:line:column`), for errors. */
  readonly where?: string;
  /** How long stop() waits after SIGTERM before SIGKILL. Default 5000. */
  readonly stopGraceMs?: number;
  /** A process that stays up this long counts as healthy: the restart backoff starts over. Default 10000. */
  readonly stableAfterMs?: number;
}

type State = "created" | "starting" | "running" | "stopping" | "stopped";

const READINESS_POLL_MS = 25;
/** Lines of the child's output kept for the error when it fails to start. */
const OUTPUT_TAIL_LINES = 20;

/**
 * Supervises the process serving co-located functions: starts it with
 * `EDDY_LISTEN` set, waits until it accepts connections, forwards its output
 * to the runtime log, restarts it with exponential backoff when it exits on
 * its own, and terminates it (SIGTERM, then SIGKILL) on stop().
 *
 * While the process is down, calls to it fail; the remote invoker retries
 * within its call budget and the partition processor keeps the batch after
 * that, so no message is lost.
 */
export class ColocatedProcess {
  readonly #spec: ColocatedFunctionsSpec;
  readonly #logger: Logger;
  readonly #where: string;
  readonly #stopGraceMs: number;
  readonly #stableAfterMs: number;
  #state: State = "created";
  #address: ListenAddress | undefined;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #restartTimer: NodeJS.Timeout | undefined;
  #restarts = 0;
  /** Consecutive unexpected exits since the process last ran long enough to count as stable. */
  #failures = 0;
  readonly #tail: string[] = [];
  // A runtime that exits without stop() (process.exit after a fatal error) must not leave the child behind.
  readonly #killOnExit = () => {
    this.#signal("SIGKILL");
    if (this.#address !== undefined) removeListenAddress(this.#address);
  };

  constructor(options: ColocatedProcessOptions) {
    this.#spec = options.spec;
    this.#logger = options.logger.child({ function: options.spec.functions.text });
    this.#where = options.where ?? "io.eddy.functions.v1/colocated";
    this.#stopGraceMs = options.stopGraceMs ?? 5000;
    this.#stableAfterMs = options.stableAfterMs ?? 10_000;
  }

  /** The running process's pid; undefined while it is down. */
  get pid(): number | undefined {
    return this.#child?.exitCode === null && this.#child.signalCode === null ? this.#child.pid : undefined;
  }

  /** How many times the process was restarted after exiting on its own. */
  get restarts(): number {
    return this.#restarts;
  }

  /** Where the process listens; set once start() began. */
  get address(): ListenAddress | undefined {
    return this.#address;
  }

  /** The command line, for logs and errors. */
  get commandLine(): string {
    return this.#spec.command.join(" ");
  }

  /**
   * The URL for one function type (the spec's urlPathTemplate with
   * `{function.name}` substituted by the caller).
   * @throws EddyError EDDY_CONFIG_INVALID before start()
   */
  url(path: string): string {
    if (this.#address === undefined) {
      throw new EddyError("EDDY_CONFIG_INVALID", `${this.#where}: the co-located process is not started yet`);
    }
    return endpointUrl(this.#address, path);
  }

  /**
   * Starts the process and waits until it accepts connections.
   * @throws EddyError EDDY_CONFIG_INVALID when it cannot be spawned, exits, or is not ready within `readiness.timeout`; it is killed then.
   */
  async start(): Promise<void> {
    if (this.#state !== "created") throw new EddyError("EDDY_CONFIG_INVALID", `${this.#where}: the co-located process was already started`);
    this.#state = "starting";
    this.#address = this.#spec.transport === "unix" ? unixListenAddress() : await tcpListenAddress();
    process.on("exit", this.#killOnExit);
    const timeoutMs = this.#spec.readiness.timeout;
    try {
      const child = this.#spawn();
      const problem = await this.#waitReady(child, timeoutMs);
      if (problem !== undefined) {
        const output = this.#tail.length === 0 ? "" : `; its last output:\n${this.#tail.join("\n")}`;
        throw new EddyError(
          "EDDY_CONFIG_INVALID",
          `${this.#where} io.eddy.functions.v1/colocated: the process for ${this.#spec.functions.text} (command: ${this.commandLine}, cwd: ${this.#spec.cwd}) ${problem}${output}`,
        );
      }
    } catch (error) {
      await this.stop();
      throw error;
    }
    this.#state = "running";
    this.#logger.info(
      { pid: this.#child?.pid, listen: describeListen(this.#address) },
      `co-located functions ${this.#spec.functions.text} ready`,
    );
  }

  /** Terminates the process (SIGTERM, SIGKILL after the grace period) and removes its socket directory. */
  async stop(): Promise<void> {
    if (this.#state === "stopped") return;
    this.#state = "stopping";
    clearTimeout(this.#restartTimer);
    const child = this.#child;
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      this.#signal("SIGTERM");
      let timer: NodeJS.Timeout | undefined;
      const exitedInTime = await Promise.race([
        this.#exited.then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), this.#stopGraceMs);
        }),
      ]);
      clearTimeout(timer);
      if (!exitedInTime) {
        this.#logger.warn({ pid: child.pid, graceMs: this.#stopGraceMs }, "co-located process ignored SIGTERM; sending SIGKILL");
        this.#signal("SIGKILL");
        await this.#exited;
      }
    }
    process.off("exit", this.#killOnExit);
    if (this.#address !== undefined) removeListenAddress(this.#address);
    this.#state = "stopped";
  }

  describe(): string {
    const listen = this.#address === undefined ? "" : ` on ${describeListen(this.#address)}`;
    return `co-located functions ${this.#spec.functions.text}: \`${this.commandLine}\` (pid ${this.pid ?? "none"})${listen}`;
  }

  #spawn(): ChildProcess {
    const address = this.#address!;
    removeStaleSocket(address);
    const env: NodeJS.ProcessEnv = { ...process.env, ...this.#spec.env, EDDY_LISTEN: listenEnv(address) };
    // The watcher is plain node; the command's NODE_OPTIONS (e.g. --import tsx) are its alone.
    if (env["NODE_OPTIONS"] !== undefined) env["EDDY_CHILD_NODE_OPTIONS"] = env["NODE_OPTIONS"];
    delete env["NODE_OPTIONS"];
    // Started through the parent watch (parent-watch.ts): its stdin is a pipe only this process
    // holds, so the command is ended even when the runtime is SIGKILLed.
    const child = spawn(process.execPath, ["-e", PARENT_WATCH_SOURCE, ...this.#spec.command], {
      cwd: this.#spec.cwd,
      env,
      stdio: ["pipe", "pipe", "pipe"],
      // Its own process group: a Ctrl+C in the terminal reaches only the runtime, which
      // still needs the functions while it drains; stop() then signals the whole group,
      // so helpers a wrapper script started go too.
      detached: true,
    });
    this.#child = child;
    const startedAt = performance.now();
    this.#exited = new Promise<void>((resolve) => {
      child.once("exit", (code, signal) => {
        // The watcher leads the group: once it is gone (killed itself, or after its command), nothing of
        // the group may linger, or a restart would find the old command still serving.
        if (child.pid !== undefined) {
          try {
            process.kill(-child.pid, "SIGKILL");
          } catch {
            // The group is empty already.
          }
        }
        resolve();
        this.#onExit(child, code, signal, performance.now() - startedAt);
      });
      // A spawn failure (ENOENT, EACCES) emits "error" and never "exit".
      child.once("error", (error) => {
        if (child.pid !== undefined) return;
        this.#remember(`spawn failed: ${error.message}`);
        resolve();
        this.#onExit(child, null, null, 0, error);
      });
    });
    for (const [stream, name] of [
      [child.stdout, "stdout"],
      [child.stderr, "stderr"],
    ] as const) {
      if (stream === null) continue;
      createInterface({ input: stream, crlfDelay: Infinity }).on("line", (line) => {
        this.#remember(line);
        this.#logger.info({ pid: child.pid, stream: name }, line);
      });
    }
    if (child.pid !== undefined) {
      this.#logger.info(
        { pid: child.pid, command: this.#spec.command, listen: describeListen(address), restarts: this.#restarts },
        "co-located process started",
      );
    }
    return child;
  }

  /** Resolves undefined once the process accepts connections, or says why it did not. */
  async #waitReady(child: ChildProcess, timeoutMs: number): Promise<string | undefined> {
    const address = this.#address!;
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
        await this.#exited;
        return child.pid === undefined || child.exitCode === SPAWN_FAILED_EXIT
          ? "could not be started"
          : `exited (${exitText(child.exitCode, child.signalCode)}) before it accepted connections on ${describeListen(address)}`;
      }
      if (await canConnect(address)) return undefined;
      if (performance.now() >= deadline) {
        return `(pid ${child.pid}) did not accept connections on ${describeListen(address)} within ${timeoutMs} ms (readiness.timeout)`;
      }
      await sleep(READINESS_POLL_MS);
    }
  }

  #onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null, upMs: number, error?: Error): void {
    if (child !== this.#child) return;
    // Exits during start() are reported by start() itself; during stop() they are expected.
    if (this.#state !== "running") {
      this.#logger.info({ pid: child.pid, code, signal }, "co-located process exited");
      return;
    }
    if (upMs >= this.#stableAfterMs) this.#failures = 0;
    this.#failures++;
    // Exact delays (no jitter): one supervisor restarting one process, and the log states when it will.
    const delayMs = backoffDelay({ initialMs: this.#spec.restart.minBackoff, maxMs: this.#spec.restart.maxBackoff, jitter: 0 }, this.#failures - 1);
    this.#logger.error(
      {
        pid: child.pid,
        code,
        signal,
        ...(error === undefined ? {} : { err: error }),
        upMs: Math.round(upMs),
        attempt: this.#failures,
        restartInMs: delayMs,
      },
      `co-located process exited unexpectedly (${error === undefined ? exitText(code, signal) : error.message}); restarting in ${delayMs} ms`,
    );
    this.#restartTimer = setTimeout(() => this.#restart(), delayMs);
  }

  #restart(): void {
    if (this.#state !== "running") return;
    this.#restarts++;
    const child = this.#spawn();
    // Readiness here is only for the log: calls made meanwhile are retried by the invoker.
    this.#waitReady(child, this.#spec.readiness.timeout).then(
      (problem) => {
        if (child !== this.#child || this.#state !== "running") return;
        if (problem === undefined) this.#logger.info({ pid: child.pid, restarts: this.#restarts }, "co-located process ready again");
        else this.#logger.warn({ pid: child.pid, restarts: this.#restarts }, `restarted co-located process ${problem}`);
      },
      (error: unknown) => this.#logger.warn({ err: error }, "readiness check of the restarted co-located process failed"),
    );
  }

  #signal(signal: NodeJS.Signals): void {
    const pid = this.#child?.pid;
    if (pid === undefined || this.#child?.exitCode !== null || this.#child.signalCode !== null) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // The group may be gone already; signal the process itself as a fallback.
      try {
        process.kill(pid, signal);
      } catch {
        // Already exited.
      }
    }
  }

  #remember(line: string): void {
    this.#tail.push(line);
    if (this.#tail.length > OUTPUT_TAIL_LINES) this.#tail.shift();
  }
}

function exitText(code: number | null, signal: NodeJS.Signals | null): string {
  return signal !== null ? `signal ${signal}` : `exit code ${code ?? "unknown"}`;
}
