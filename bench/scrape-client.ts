/**
 * A Prometheus scraper in its own process, as a real one is: GET /metrics
 * every `intervalMs` until stdin closes; prints "ready" after the first scrape
 * and, at the end, how many scrapes it made and their latency. Usage: scrape-client.ts <url> <intervalMs>
 */
const [url, interval] = process.argv.slice(2);
const intervalMs = Number(interval);
let running = true;
process.stdin.on("end", () => (running = false));
process.stdin.resume();
const latencies: number[] = [];
while (running) {
  const started = performance.now();
  try {
    const res = await fetch(url!);
    await res.text();
    if (res.ok) {
      if (latencies.length === 0) process.stdout.write("ready\n");
      latencies.push(performance.now() - started);
    }
  } catch {
    // The runtime stopped under us.
  }
  await new Promise((r) => setTimeout(r, intervalMs));
}
latencies.sort((a, b) => a - b);
process.stdout.write(`${JSON.stringify({ scrapes: latencies.length, p50Ms: latencies[Math.floor(latencies.length / 2)] ?? 0, maxMs: latencies.at(-1) ?? 0 })}\n`);
