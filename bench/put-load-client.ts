/**
 * A generic HTTP load generator, run as its own process like load-client.ts
 * (so it never shares an event loop with what it measures). Each of
 * `concurrency` loops PUTs `body` to `path`, with `{key}` replaced by
 * `key-<i mod keys>` in both; worker w sends keys w, w+concurrency, … so a
 * key's requests come from one worker at a time in the common case.
 *
 * With `ratePerSecond`, the loops together send at that rate (each on its own
 * schedule, catching up when behind), so latency is measured below saturation.
 *
 * argv: one JSON object: {port, path, contentType, body, keys, concurrency, durationMs, ratePerSecond?}
 * stdout: {ok, failed, requestP50Ms, requestP99Ms, cpuMs, wallMs} (cpuMs: this process's user + system time)
 */
import { Pool } from "undici";

interface Config {
  readonly port: number;
  readonly path: string;
  readonly contentType: string;
  readonly body: string;
  readonly keys: number;
  readonly concurrency: number;
  readonly durationMs: number;
  readonly ratePerSecond?: number;
}

const config = JSON.parse(process.argv[2] ?? "{}") as Config;
const pool = new Pool(`http://127.0.0.1:${config.port}`, { connections: config.concurrency, pipelining: 1 });
const deadline = performance.now() + config.durationMs;
let ok = 0;
let failed = 0;
const requestMs: number[] = [];

const started = performance.now();
const cpuStart = process.cpuUsage();
const intervalMs = config.ratePerSecond === undefined ? 0 : (1000 * config.concurrency) / config.ratePerSecond;

async function loop(worker: number): Promise<void> {
  let i = worker;
  let sent = 0;
  while (performance.now() < deadline) {
    if (intervalMs > 0) {
      const due = started + (worker / config.concurrency + sent) * intervalMs;
      sent++;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const key = `key-${i % config.keys}`;
    i += config.concurrency;
    const sentAt = performance.now();
    const { statusCode, body } = await pool.request({
      path: config.path.replaceAll("{key}", key),
      method: "PUT",
      headers: { "content-type": config.contentType },
      body: config.body.replaceAll("{key}", key),
    });
    await body.dump();
    requestMs.push(performance.now() - sentAt);
    if (statusCode === 200) ok++;
    else failed++;
  }
}

await Promise.all(Array.from({ length: config.concurrency }, (_, w) => loop(w)));
await pool.close();
const cpu = process.cpuUsage(cpuStart);
const wallMs = performance.now() - started;
requestMs.sort((a, b) => a - b);
process.stdout.write(
  `${JSON.stringify({ ok, failed, requestP50Ms: requestMs[Math.floor(requestMs.length * 0.5)] ?? 0, requestP99Ms: requestMs[Math.floor(requestMs.length * 0.99)] ?? 0, cpuMs: (cpu.user + cpu.system) / 1000, wallMs })}\n`,
);
