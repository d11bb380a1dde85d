import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../support/local-servers.js";
import { repo } from "./kafka-helpers.js";

/** A broker of its own for one test file, beside the shared one (scripts/kafka/kafka.mjs with its own ports and state). */
export interface OwnBroker {
  /** host:port of its client listener. */
  readonly address: string;
  /** Freezes the broker process (SIGSTOP), as a hung broker: connections stay open, nothing answers. */
  pause(): void;
  /** Lets a paused broker go on (SIGCONT); it answers what waited. */
  resume(): void;
  /** Stops the broker (SIGTERM) and starts it again on the same storage: its topics, offsets and transactions stay. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts a second real broker, for a test that needs a broker setting the
 * shared one cannot have (e.g. `auto.create.topics.enable=false`). It takes
 * a few seconds and about 300 MB; stop it in the file's `after`. `port`: its client listener's port (free otherwise).
 */
export async function startOwnBroker(options: { autoCreate: boolean; port?: number }): Promise<OwnBroker> {
  const port = options.port ?? (await freePort());
  const controllerPort = await freePort();
  const stateDir = mkdtempSync(join(tmpdir(), "eddy-own-broker-"));
  const env = {
    ...process.env,
    EDDY_KAFKA_PORT: String(port),
    EDDY_KAFKA_CONTROLLER_PORT: String(controllerPort),
    EDDY_KAFKA_STATE_DIR: stateDir,
    EDDY_KAFKA_AUTO_CREATE: String(options.autoCreate),
    EDDY_KAFKA_HEAP: "256m",
  };
  const run = (command: "start" | "stop" | "restart"): Promise<void> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [join(repo, "scripts", "kafka", "kafka.mjs"), command], { env, stdio: ["ignore", "pipe", "pipe"] });
      let output = "";
      child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
      child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`kafka.mjs ${command} (port ${port}) exited with ${code}:\n${output}`))));
    });
  await run("start");
  // A test file that dies or hangs never reaches its `after`: the broker must not outlive it.
  const brokerPid = (): number => (JSON.parse(readFileSync(join(stateDir, "broker.json"), "utf8")) as { pid: number }).pid;
  let pid = brokerPid();
  const killBroker = (): void => {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  };
  process.once("exit", killBroker);
  return {
    address: `127.0.0.1:${port}`,
    pause: () => process.kill(pid, "SIGSTOP"),
    resume: () => process.kill(pid, "SIGCONT"),
    async restart() {
      await run("restart");
      pid = brokerPid();
    },
    async stop() {
      await run("stop");
      process.off("exit", killBroker);
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
