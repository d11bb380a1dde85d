/**
 * An HTTP client in its own process, as a real scraper or prober is: GETs the
 * URLs (comma separated, in turn) every `intervalMs` until stdin closes;
 * prints "ready" after the first answer and, at the end, how many requests it
 * made after that one and their latency. Usage: scrape-client.ts <url[,url...]> <intervalMs>
 */
const [list, interval] = process.argv.slice(2);
const urls = list!.split(",");
const intervalMs = Number(interval);
let running = true;
process.stdin.on("end", () => (running = false));
process.stdin.resume();
const latencies: number[] = [];
let ready = false;
for (let i = 0; running; i++) {
  const started = performance.now();
  try {
    const res = await fetch(urls[i % urls.length]!);
    await res.text();
    // The first answer (connection set-up, cold code) only says the server is there.
    if (res.ok && !ready) {
      ready = true;
      process.stdout.write("ready\n");
    } else if (res.ok) {
      latencies.push(performance.now() - started);
    }
  } catch {
    // The runtime stopped under us.
  }
  await new Promise((r) => setTimeout(r, intervalMs));
}
latencies.sort((a, b) => a - b);
const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] ?? 0;
process.stdout.write(`${JSON.stringify({ requests: latencies.length, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: latencies.at(-1) ?? 0 })}\n`);
