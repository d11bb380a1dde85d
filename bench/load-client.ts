/**
 * The HTTP load generator for the playground benchmark, run as its own
 * process so it does not share an event loop with the runtime. Each of
 * `concurrency` loops PUTs a GreetRequest whose `who` carries the send time;
 * the runtime side reads it back from the greeting to measure ingress→egress.
 *
 * argv: ingressPort keys concurrency durationMs [method]
 * (method PUT by default; POST against a request/reply ingress waits for each reply)
 */
import { Pool } from "undici";

const [portText, keysText, concurrencyText, durationText, methodText] = process.argv.slice(2);
const method = methodText === "POST" ? "POST" : "PUT";
const port = Number(portText);
const keys = Number(keysText);
const concurrency = Number(concurrencyText);
const durationMs = Number(durationText);

const pool = new Pool(`http://127.0.0.1:${port}`, { connections: concurrency, pipelining: 1 });
const deadline = performance.now() + durationMs;
let ok = 0;
let failed = 0;
const requestMs: number[] = [];

async function loop(worker: number): Promise<void> {
  let i = worker;
  while (performance.now() < deadline) {
    const key = `user-${i % keys}`;
    i += concurrency;
    const sentAt = performance.timeOrigin + performance.now();
    const { statusCode, body } = await pool.request({
      path: `/apache/greeter/${key}`,
      method,
      headers: { "content-type": "application/vnd.apache/GreetRequest" },
      body: JSON.stringify({ who: `${key}@${sentAt.toFixed(3)}` }),
    });
    await body.dump();
    requestMs.push(performance.timeOrigin + performance.now() - sentAt);
    if (statusCode === 200) ok++;
    else failed++;
  }
}

await Promise.all(Array.from({ length: concurrency }, (_, w) => loop(w)));
await pool.close();
requestMs.sort((a, b) => a - b);
process.stdout.write(
  `${JSON.stringify({ ok, failed, requestP50Ms: requestMs[Math.floor(requestMs.length * 0.5)] ?? 0, requestP99Ms: requestMs[Math.floor(requestMs.length * 0.99)] ?? 0 })}\n`,
);
