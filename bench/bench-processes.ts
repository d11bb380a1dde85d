/** Child processes for the remote and co-located benchmarks: the load client, and servers that print a ready line. */
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import type { ChildProcess } from "node:child_process";

const here = new URL(".", import.meta.url).pathname;

export interface LoadConfig {
  readonly port: number;
  readonly path: string;
  readonly contentType: string;
  readonly body: string;
  readonly keys: number;
  readonly concurrency: number;
  readonly durationMs: number;
  /** Paced load at this many requests/s instead of as fast as possible. */
  readonly ratePerSecond?: number;
}

export interface LoadResult {
  readonly ok: number;
  readonly failed: number;
  readonly requestP50Ms: number;
  readonly requestP99Ms: number;
  /** The load client's own CPU time (user + system) over its run, and that run's length. */
  readonly cpuMs: number;
  readonly wallMs: number;
}

/**
 * CPU time (ms) a process has used so far, from /proc: the sum of its threads'
 * run times in /proc/<pid>/task/<tid>/schedstat (nanoseconds, so a short run
 * still measures precisely), or utime + stime from /proc/<pid>/stat (10 ms
 * ticks) where schedstat is missing; NaN where there is neither (not Linux).
 */
export function processCpuMs(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
      } catch {
        // A thread that ended between the listing and the read: its time is in no file any more.
      }
    }
    if (ns > 0) return ns / 1e6;
  } catch {
    // No schedstat (a kernel without CONFIG_SCHEDSTATS): the coarser stat below.
  }
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}
/** CPU time (ms) one thread of a process has used so far, from its /proc schedstat; NaN where there is none. */
export function threadCpuMs(pid: number, tid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]) / 1e6;
  } catch {
    return Number.NaN;
  }
}

/** Linux's USER_HZ, the unit of /proc/<pid>/stat's times: 100 on every common kernel. */
const CLOCK_TICKS = 100;

/** Runs put-load-client.ts to completion and returns its summary. */
export async function runLoad(config: LoadConfig): Promise<LoadResult> {
  const client = spawn(process.execPath, ["--import", "tsx", `${here}put-load-client.ts`, JSON.stringify(config)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  client.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => client.on("close", resolve));
  if (code !== 0) throw new Error(`load client exited with ${code}; its output: ${out}`);
  return JSON.parse(out) as LoadResult;
}

export interface Server {
  readonly child: ChildProcess;
  /** What the server printed up to its ready line. */
  readonly output: string;
  stop(): Promise<void>;
}

/** Starts a server process and waits for `ready` in its stdout. */
export async function startServer(
  args: readonly string[],
  options: { env?: Record<string, string>; cwd?: string; ready: RegExp; timeoutMs?: number },
): Promise<Server> {
  // BENCH_CPU_PROF=dir: the function servers write V8 CPU profiles there (docs/performance.md).
  const profile = process.env["BENCH_CPU_PROF"];
  const execArgs = profile === undefined ? args : ["--cpu-prof", `--cpu-prof-dir=${profile}`, ...args];
  const child = spawn(process.execPath, execArgs, {
    cwd: options.cwd ?? process.cwd(),
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let out = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server ${args.join(" ")} not ready; output: ${out}`)), options.timeoutMs ?? 20_000);
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (options.ready.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server ${args.join(" ")} exited with ${code}; output: ${out}`));
    });
  });
  child.stdout.resume();
  return {
    child,
    output: out,
    async stop() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** A plain node:http server answering every request with its own body: the floor for any HTTP hop. */
export const ECHO_SERVER_SOURCE = `
const http = require("node:http");
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks);
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": body.length });
    res.end(body);
  });
});
server.keepAliveTimeout = 65000;
server.listen(0, "127.0.0.1", () => console.log("READY " + server.address().port));
process.on("SIGTERM", () => process.exit(0));
`;
