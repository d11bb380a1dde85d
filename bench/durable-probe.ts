/**
 * Child process of the durable benchmarks (bench/durable.ts), so each figure
 * comes from a fresh process:
 *
 * - `open <dataDir> <keys>`: opens a data directory written by durable.ts,
 *   times open + recover() + the first read, then reads 10,000 random keys and
 *   reports RSS and JS heap. LMDB is memory-mapped: state is not loaded into
 *   the JS heap, so RSS does not grow with the number of keys stored.
 * - `commits <n>`: n commit units on a fresh store, each awaited before the
 *   next, so each is its own group commit (one LMDB write transaction); run
 *   under `strace -c` by durable.ts to count fsync/fdatasync calls per group
 *   commit (n = 0 gives the syncs of opening and closing the store).
 *
 * stdout: one JSON line.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { address } from "@eddy/sdk";
import { LmdbStateStore } from "@eddy/runtime";
import { readFileSync } from "node:fs";
import { lastTxnId, PROBE_SPECS, PROBE_TYPE, probeWrite } from "./durable-common.js";

async function probeOpen(dataDir: string, keys: number): Promise<void> {
  const started = performance.now();
  const store = new LmdbStateStore({ path: dataDir });
  const opened = performance.now();
  const recovered = store.recover();
  const first = store.read(address(PROBE_TYPE, "key-0"), `${PROBE_TYPE}\u0000key-0`, Date.now());
  const ready = performance.now();
  if (keys > 0 && first[0]?.value === undefined) throw new Error("key-0 has no state");
  let found = 0;
  for (let i = 0; i < 10_000 && keys > 0; i++) {
    const id = `key-${Math.floor(Math.random() * keys)}`;
    if (store.read(address(PROBE_TYPE, id), `${PROBE_TYPE}\u0000${id}`, Date.now())[0]?.value !== undefined) found++;
  }
  global.gc?.();
  const mem = process.memoryUsage();
  const status = readFileSync("/proc/self/status", "utf8");
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  await store.close();
  process.stdout.write(
    `${JSON.stringify({
      keys,
      openMs: opened - started,
      recoverAndFirstReadMs: ready - opened,
      totalMs: ready - started,
      recoveredMessages: recovered.messages.length,
      randomReadsFound: found,
      rssMb: mem.rss / 1024 / 1024,
      heapUsedMb: mem.heapUsed / 1024 / 1024,
      // Anonymous memory (JS heap, native allocations) vs pages of the memory-mapped data file.
      rssAnonMb: kb("RssAnon") / 1024,
      rssFileMb: kb("RssFile") / 1024,
    })}\n`,
  );
}

async function probeCommits(n: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "eddy-bench-probe-"));
  try {
    await new LmdbStateStore({ path: dir }).close();
    const before = await lastTxnId(dir);
    const store = new LmdbStateStore({ path: dir });
    store.registerSpecs(PROBE_TYPE, PROBE_SPECS);
    const started = performance.now();
    for (let i = 0; i < n; i++) {
      await store.commit(probeWrite(`key-${i % 100}`, i));
    }
    const seconds = (performance.now() - started) / 1000;
    await store.close();
    const txns = (await lastTxnId(dir)) - before;
    process.stdout.write(`${JSON.stringify({ commits: n, txns, seconds, commitLatencyMs: n === 0 ? 0 : (seconds * 1000) / n })}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const [mode, a, b] = process.argv.slice(2);
if (mode === "open") await probeOpen(a!, Number(b));
else if (mode === "commits") await probeCommits(Number(a));
else throw new Error(`unknown probe mode ${mode}`);
