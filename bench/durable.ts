/**
 * (f) Durability costs: the same embedded greeter workloads on the LMDB store
 * (a fresh temp data directory) and on the memory store, in one run; group
 * commits and fsyncs; recovery time and RSS with many keys stored.
 * See docs/durability.md.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LmdbStateStore, MemoryStateStore } from "@eddy/runtime";
import { benchGreeterHttp } from "./greeter-http.js";
import type { HttpResult } from "./greeter-http.js";
import { benchGreeterInProcess } from "./greeter-in-process.js";
import { lastTxnId, PROBE_SPECS, PROBE_TYPE, probeWrite } from "./durable-common.js";

const here = new URL(".", import.meta.url).pathname;
const KEYS = 1000;

function row(name: string, value: string, note = ""): void {
  process.stdout.write(`${name.padEnd(52)} ${value.padStart(14)}   ${note}\n`);
}

const int = (n: number) => Math.round(n).toLocaleString("en");

/** A fresh LMDB data directory, and the write-transaction id it starts from. */
async function freshDataDir(): Promise<{ dir: string; startTxn: number }> {
  const dir = mkdtempSync(join(tmpdir(), "eddy-bench-durable-"));
  await new LmdbStateStore({ path: dir }).close();
  return { dir, startTxn: await lastTxnId(dir) };
}

function runProbe(args: readonly string[], strace?: { outFile: string }): Promise<string> {
  const node = [process.execPath, "--expose-gc", "--conditions=eddy-source", "--import", "tsx", `${here}durable-probe.ts`, ...args];
  const [cmd, ...argv] =
    strace === undefined ? node : ["strace", "-f", "-qq", "--seccomp-bpf", "-c", "-e", "trace=fsync,fdatasync,msync", "-o", strace.outFile, ...node];
  const child = spawn(cmd!, argv, { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    child.on("close", (code) => (code === 0 ? resolve(out.trim().split("\n").pop() ?? "") : reject(new Error(`probe ${args.join(" ")} exited with ${code}: ${out}`))));
  });
}

/** Writes `keys` addresses of state straight through the store, 50,000 commit units per group commit. */
async function writeKeys(dir: string, keys: number, budgetMs: number): Promise<{ written: number; seconds: number; complete: boolean }> {
  const store = new LmdbStateStore({ path: dir });
  store.registerSpecs(PROBE_TYPE, PROBE_SPECS);
  const started = performance.now();
  let written = 0;
  try {
    while (written < keys) {
      if (performance.now() - started > budgetMs) break;
      const end = Math.min(keys, written + 50_000);
      let last: Promise<void> | void = undefined;
      for (let i = written; i < end; i++) {
        last = store.commit(probeWrite(`key-${i}`, i));
      }
      await last;
      written = end;
    }
  } finally {
    await store.close();
  }
  return { written, seconds: (performance.now() - started) / 1000, complete: written === keys };
}

interface OpenProbe {
  readonly keys: number;
  readonly openMs: number;
  readonly recoverAndFirstReadMs: number;
  readonly totalMs: number;
  readonly rssMb: number;
  readonly heapUsedMb: number;
  readonly rssAnonMb: number;
  readonly rssFileMb: number;
  readonly randomReadsFound: number;
}

function dirSizeMb(dir: string): number {
  return statSync(join(dir, "data", "data.mdb")).size / 1024 / 1024;
}

/** fsync/fdatasync calls in an `strace -c` summary. */
function syncCalls(straceOut: string): number {
  let calls = 0;
  for (const line of straceOut.split("\n")) {
    const cols = line.trim().split(/\s+/);
    const name = cols[cols.length - 1];
    if (name === "fsync" || name === "fdatasync" || name === "msync") {
      // % time, seconds, usecs/call, calls, [errors,] syscall
      calls += Number(cols[3]);
    }
  }
  return calls;
}

export async function benchDurable(quick: boolean): Promise<Record<string, unknown>> {
  process.stdout.write("(f) durability: LMDB store (fresh temp data dir, group commit + fsync) vs memory store, same run\n");

  // ---- (a) in-process greeter ------------------------------------------------
  const inProcessMessages = quick ? 50_000 : 300_000;
  await benchGreeterInProcess(10_000, KEYS, new MemoryStateStore()); // warm-up
  const memIn = await benchGreeterInProcess(inProcessMessages, KEYS, new MemoryStateStore());
  const a = await freshDataDir();
  const lmdbIn = await benchGreeterInProcess(inProcessMessages, KEYS, new LmdbStateStore({ path: a.dir }));
  const inTxns = (await lastTxnId(a.dir)) - a.startTxn;
  rmSync(a.dir, { recursive: true, force: true });
  process.stdout.write(`  (a) embedded greeter in-process, ${int(inProcessMessages)} messages, 1,000 keys, 8 producers\n`);
  row("    messages/s memory / LMDB", `${int(memIn.messagesPerSecond)} / ${int(lmdbIn.messagesPerSecond)}`);
  row("    LMDB / memory", `${(lmdbIn.messagesPerSecond / memIn.messagesPerSecond).toFixed(2)}`);
  row("    group commits (LMDB write txns) /s", int(inTxns / lmdbIn.seconds), `${int(inTxns)} txns, ${(inProcessMessages / inTxns).toFixed(0)} messages per txn`);

  // ---- (b) playground HTTP, 64 clients ----------------------------------------
  const httpMs = quick ? 2_000 : 10_000;
  const memHttp: HttpResult = await benchGreeterHttp(KEYS, 64, httpMs, new MemoryStateStore());
  const b = await freshDataDir();
  const lmdbHttp: HttpResult = await benchGreeterHttp(KEYS, 64, httpMs, new LmdbStateStore({ path: b.dir }));
  const httpTxns = (await lastTxnId(b.dir)) - b.startTxn;
  rmSync(b.dir, { recursive: true, force: true });
  process.stdout.write(`  (b) embedded greeter via playground HTTP, 64 clients, 1,000 keys, ${httpMs / 1000} s each\n`);
  row("    requests/s memory / LMDB", `${int(memHttp.requestsPerSecond)} / ${int(lmdbHttp.requestsPerSecond)}`);
  row("    LMDB / memory", (lmdbHttp.requestsPerSecond / memHttp.requestsPerSecond).toFixed(2));
  row("    ingress→egress p50 ms memory / LMDB", `${memHttp.ingressToEgressP50Ms.toFixed(2)} / ${lmdbHttp.ingressToEgressP50Ms.toFixed(2)}`);
  row("    ingress→egress p99 ms memory / LMDB", `${memHttp.ingressToEgressP99Ms.toFixed(2)} / ${lmdbHttp.ingressToEgressP99Ms.toFixed(2)}`, `added p99 ${(lmdbHttp.ingressToEgressP99Ms - memHttp.ingressToEgressP99Ms).toFixed(2)} ms`);
  row("    HTTP request p50 / p99 ms (LMDB)", `${lmdbHttp.requestP50Ms.toFixed(2)} / ${lmdbHttp.requestP99Ms.toFixed(2)}`);
  row("    group commits (LMDB write txns) /s", int(httpTxns / (httpMs / 1000)), `${int(httpTxns)} txns over the load window`);
  row("    failed requests memory / LMDB", `${memHttp.failed} / ${lmdbHttp.failed}`);

  // ---- fsyncs per group commit, counted by strace -------------------------------
  let fsync: Record<string, unknown> = { measured: false, reason: "strace not found on PATH" };
  if (spawnSync("strace", ["-V"], { stdio: "ignore" }).status === 0) {
    const outDir = mkdtempSync(join(tmpdir(), "eddy-bench-strace-"));
    const outFile = join(outDir, "strace.txt");
    try {
      const commits = quick ? 500 : 2_000;
      const base = JSON.parse(await runProbe(["commits", "0"], { outFile })) as { txns: number };
      const baseSyncs = syncCalls(readFileSync(outFile, "utf8"));
      const probe = JSON.parse(await runProbe(["commits", String(commits)], { outFile })) as { txns: number; commitLatencyMs: number };
      const syncs = syncCalls(readFileSync(outFile, "utf8"));
      // The difference removes the syncs of opening and closing the store.
      const perTxn = (syncs - baseSyncs) / (probe.txns - base.txns);
      fsync = {
        measured: true,
        method: "strace -f -c counting fsync+fdatasync+msync of a child doing N serial group commits, minus a run with N = 0",
        groupCommits: probe.txns - base.txns,
        syncCalls: syncs - baseSyncs,
        syncsPerGroupCommit: perTxn,
        serialCommitLatencyMs: probe.commitLatencyMs,
        inProcessFsyncsPerSecond: (inTxns / lmdbIn.seconds) * perTxn,
        playgroundHttpFsyncsPerSecond: (httpTxns / (httpMs / 1000)) * perTxn,
      };
      row("    strace: fsync+fdatasync per group commit", perTxn.toFixed(2), `${int(syncs - baseSyncs)} syncs / ${int(probe.txns - base.txns)} serial group commits`);
      row("    one group commit alone (commit → durable) ms", probe.commitLatencyMs.toFixed(2), "under strace");
      row("    → fsyncs/s in-process / HTTP", `${int((inTxns / lmdbIn.seconds) * perTxn)} / ${int((httpTxns / (httpMs / 1000)) * perTxn)}`, "group commits/s × fsyncs per group commit");
    } catch (error) {
      fsync = { measured: false, reason: error instanceof Error ? error.message : String(error) };
      row("    strace fsync count", "failed", fsync["reason"] as string);
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  } else {
    row("    fsyncs", "not measured", "strace not found; group commits above are LMDB write txns (one fdatasync each)");
  }

  // ---- recovery time and RSS with many keys -----------------------------------
  const recoveryKeys = quick ? 100_000 : 1_000_000;
  const rssSizes = quick ? [0, 100_000] : [0, 1_000_000, 10_000_000];
  const writeBudgetMs = 120_000;
  process.stdout.write(`  recovery and RSS (fresh process: open + recover() + first read, then 10,000 random reads)\n`);
  const rss: Record<string, unknown>[] = [];
  let recovery: Record<string, unknown> = {};
  for (const keys of [...new Set([...rssSizes, recoveryKeys])].sort((x, y) => x - y)) {
    const dir = mkdtempSync(join(tmpdir(), "eddy-bench-keys-"));
    try {
      const written = await writeKeys(dir, keys, writeBudgetMs);
      if (!written.complete) {
        row(`    ${int(keys)} keys`, "skipped", `writing took over ${writeBudgetMs / 1000} s (${int(written.written)} written)`);
        rss.push({ keys, skipped: `writing took over ${writeBudgetMs / 1000} s (${written.written} written in ${written.seconds.toFixed(0)} s)` });
        continue;
      }
      const probe = JSON.parse(await runProbe(["open", dir, String(keys)])) as OpenProbe;
      const entry = { ...probe, writeSeconds: written.seconds, dataFileMb: dirSizeMb(dir) };
      if (rssSizes.includes(keys)) {
        rss.push(entry);
        row(
          `    ${int(keys)} keys: RSS (anon + file) / JS heap MB`,
          `${probe.rssMb.toFixed(0)} (${probe.rssAnonMb.toFixed(0)} + ${probe.rssFileMb.toFixed(0)}) / ${probe.heapUsedMb.toFixed(0)}`,
          `data file ${entry.dataFileMb.toFixed(0)} MB, written in ${written.seconds.toFixed(1)} s`,
        );
      }
      if (keys === recoveryKeys) {
        const factor = 1_000_000 / keys;
        recovery = {
          keys,
          openMs: probe.openMs,
          recoverAndFirstReadMs: probe.recoverAndFirstReadMs,
          totalMs: probe.totalMs,
          ...(factor === 1 ? {} : { extrapolatedTo1MKeysMs: probe.totalMs * factor, note: `quick run: measured at ${keys} keys, scaled ×${factor} (an upper bound: open and recover do not scan state)` }),
        };
        row(
          `    recovery, ${int(keys)} keys: open + recover + first read ms`,
          probe.totalMs.toFixed(1),
          factor === 1 ? "" : `quick: ×${factor} → ${(probe.totalMs * factor).toFixed(1)} ms for 1M keys (extrapolated)`,
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  return {
    inProcess: {
      messages: inProcessMessages,
      memoryMessagesPerSecond: memIn.messagesPerSecond,
      lmdbMessagesPerSecond: lmdbIn.messagesPerSecond,
      ratio: lmdbIn.messagesPerSecond / memIn.messagesPerSecond,
      lmdbGroupCommits: inTxns,
      lmdbGroupCommitsPerSecond: inTxns / lmdbIn.seconds,
    },
    playgroundHttp: {
      clients: 64,
      durationMs: httpMs,
      memory: memHttp,
      lmdb: lmdbHttp,
      ratio: lmdbHttp.requestsPerSecond / memHttp.requestsPerSecond,
      addedP50Ms: lmdbHttp.ingressToEgressP50Ms - memHttp.ingressToEgressP50Ms,
      addedP99Ms: lmdbHttp.ingressToEgressP99Ms - memHttp.ingressToEgressP99Ms,
      lmdbGroupCommits: httpTxns,
      lmdbGroupCommitsPerSecond: httpTxns / (httpMs / 1000),
    },
    fsync,
    recovery,
    rss,
  };
}
