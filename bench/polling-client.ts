import { spawn } from "node:child_process";

/** What the polling client saw, after its first answer. */
export interface PollingReport {
  readonly requests: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/**
 * Starts scrape-client.ts in its own process, GETting the URLs in turn every
 * `intervalMs`; resolves once it had its first answer (so its start-up is not
 * measured). The returned function stops it and gives its report.
 */
export async function startPollingClient(urls: readonly string[], intervalMs: number): Promise<() => Promise<PollingReport>> {
  const client = spawn(process.execPath, ["--import", "tsx", new URL("./scrape-client.ts", import.meta.url).pathname, urls.join(","), String(intervalMs)], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  let out = "";
  await new Promise<void>((resolve) => {
    client.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.startsWith("ready\n")) resolve();
    });
  });
  return async () => {
    client.stdin.end();
    await new Promise<void>((resolve) => client.on("close", () => resolve()));
    return JSON.parse(out.slice("ready\n".length)) as PollingReport;
  };
}
