// A worker's --data-dir in cluster mode: a local cache of its partitions' changelogs. A restart restores
// from it (reading nothing from the changelog when it is current, only the changelog after its offset when
// another worker wrote meanwhile); a damaged or deleted cache is rebuilt from Kafka. Across all of it, every
// input's effect appears exactly once (the per-key counters continue where they were).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTopics, produce, requireBroker } from "../kafka/kafka-helpers.js";
import { open } from "lmdb";
import type { EddyProcess } from "../kafka/kafka-helpers.js";
import { clusterSetup, readAllCommitted, startWorker, stopAll, verifyExactlyOnce } from "./cluster-helpers.js";
import type { ClusterSetup } from "./cluster-helpers.js";

type TestRecord = { key: string; value: string };

const PARTITIONS = 8;
const KEYS = 16;

/** The JSON log lines of a worker. */
function logLines(worker: EddyProcess): Record<string, unknown>[] {
  return worker
    .stdout()
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

interface Restored {
  readonly partition: number;
  readonly source: string;
  readonly restored: number;
  readonly cached: number;
  readonly fromChangelog: number;
  readonly durationMs: number;
}

/**
 * The first "partition p: restored …" line of each partition a worker restored (a partition whose transaction
 * fails, as on a fresh broker's first moments, is restored again, then from what the first restore cached).
 */
function restores(worker: EddyProcess): Restored[] {
  const first = new Map<number, Restored>();
  for (const r of allRestores(worker)) if (!first.has(r.partition)) first.set(r.partition, r);
  return [...first.values()];
}

function allRestores(worker: EddyProcess): Restored[] {
  return logLines(worker)
    .filter((l) => /^partition \d+: restored /.test(String(l["msg"])))
    .map((l) => ({
      partition: Number(l["partition"]),
      source: String(l["source"]),
      restored: Number(l["restored"]),
      cached: Number(l["cached"]),
      fromChangelog: Number(l["fromChangelog"]),
      durationMs: Number(l["durationMs"]),
    }));
}

/** Starts a worker and waits until it restored every partition (it is the cluster's only worker). */
async function startAlone(s: ClusterSetup, extra: string[]): Promise<EddyProcess> {
  const worker = startWorker(s, extra);
  await worker.waitFor("eddy is running", 60_000);
  const started = Date.now();
  while (restores(worker).length < PARTITIONS) {
    assert.ok(Date.now() - started < 60_000, `the worker restored ${restores(worker).length} of ${PARTITIONS} partitions within 60 s:\n${worker.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return worker;
}

/** Runs `batch` through a worker started with `extra` flags, checks all `inputs` so far exactly once, stops it (drained); returns its restores. */
async function runBatch(s: ClusterSetup, extra: string[], inputs: TestRecord[], batch: TestRecord[]): Promise<{ restores: Restored[]; output: string }> {
  const worker = await startAlone(s, extra);
  try {
    await produce(s.input, batch);
    inputs.push(...batch);
    const out = await readAllCommitted(s.output, inputs.length, 90_000, 1_000);
    assert.deepEqual(verifyExactlyOnce(out, inputs).slice(0, 10), []);
  } finally {
    assert.deepEqual(await stopAll([worker]), [], "the worker drains and exits 0 on SIGTERM");
  }
  return { restores: restores(worker), output: worker.output() };
}

let round = 0;
function batchOf(n: number): TestRecord[] {
  round++;
  return Array.from({ length: n }, (_, i) => ({ key: `k${i % KEYS}`, value: `r${round}i${i}` }));
}

describe("cluster mode: --data-dir is a worker's local cache of its partitions (real broker)", { timeout: 420_000 }, () => {
  const broker = requireBroker();

  it("restarted with its data dir, a worker restores from the cache (nothing read from the changelog); after another worker ran, only the changelog after the cache's offset; damaged or deleted, from the changelog", async () => {
    broker.assertUp();
    const s = clusterSetup("cache");
    await createTopics([s.input, s.output], 4);
    const dirA = join(mkdtempSync(join(tmpdir(), "eddy-cache-")), "worker-a");
    const withA = ["--data-dir", dirA];
    const inputs: TestRecord[] = [];

    // 1. A fresh cache: every partition restores from the changelog (empty), and the restore is logged per partition.
    const first = await runBatch(s, withA, inputs, batchOf(160));
    assert.equal(first.restores.length, PARTITIONS);
    assert.ok(first.restores.every((r) => r.source === "changelog" && r.cached === 0 && r.durationMs >= 0), JSON.stringify(first.restores));
    assert.match(first.output, /partition \d+: restoring the changelog from offset 0 to \d+/);
    assert.match(first.output, /local cache brought up to changelog offset \d+/, "a clean stop brings the cache up to the changelog's end");

    // 2. Restarted with the same data dir: the cache is current, so nothing is read from the changelog.
    const second = await runBatch(s, withA, inputs, batchOf(160));
    assert.ok(second.restores.every((r) => r.source === "cache" && r.fromChangelog === 0), JSON.stringify(second.restores));
    assert.ok(second.restores.reduce((n, r) => n + r.cached, 0) >= KEYS, "the keys' state came from the cache");

    // 3. Another worker (its own data dir) runs the partitions meanwhile: A's cache is behind the changelog, so it is
    //    not taken as current: A reads the changelog after the cache's offset (what B wrote) on top of it.
    await runBatch(s, ["--data-dir", join(dirA, "..", "worker-b")], inputs, batchOf(160));
    const third = await runBatch(s, withA, inputs, batchOf(160));
    assert.ok(third.restores.every((r) => r.source !== "cache"), JSON.stringify(third.restores));
    assert.ok(third.restores.some((r) => r.source === "cache+tail" && r.fromChangelog > 0), JSON.stringify(third.restores));

    // 4. A damaged record (one byte of a cached value flipped on disk) is caught by its checksum: that partition's cache
    //    is not used, it restores from the changelog and says why; the other partitions still use theirs.
    const lmdb = open({ path: join(dirA, "cache.mdb") });
    const records = lmdb.openDB<Buffer, [number, string]>({ name: "records", encoding: "binary" });
    const [damaged] = [...records.getRange({ limit: 1 })];
    assert.ok(damaged !== undefined, "the cache holds records");
    const bytes = Buffer.from(damaged.value);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0xff, bytes.length - 1);
    await records.put(damaged.key, bytes);
    await lmdb.close();
    const partition = damaged.key[0];
    const fourth = await runBatch(s, withA, inputs, batchOf(160));
    assert.match(fourth.output, new RegExp(`partition ${partition}: the local cache is not used: it is damaged .*; restoring from the changelog`));
    assert.equal(fourth.restores.find((r) => r.partition === partition)?.source, "changelog", JSON.stringify(fourth.restores));
    assert.ok(fourth.restores.some((r) => r.source === "cache"), JSON.stringify(fourth.restores));

    // 5. A damaged cache file (overwritten with junk) is not opened: it is deleted, and every partition restores from the changelog.
    writeFileSync(join(dirA, "cache.mdb"), Buffer.alloc(64 * 1024, 0x5a));
    const fifth = await runBatch(s, withA, inputs, batchOf(160));
    assert.match(fifth.output, /the local cache in .* cannot be opened \(cache\.mdb is damaged: its first meta page lacks LMDB's magic number\); it is deleted and every partition restores from the changelog/);
    assert.ok(fifth.restores.every((r) => r.source === "changelog" && r.cached === 0), JSON.stringify(fifth.restores));

    // 6. The data dir deleted: rebuilt from Kafka.
    rmSync(dirA, { recursive: true, force: true });
    const sixth = await runBatch(s, withA, inputs, batchOf(160));
    assert.ok(sixth.restores.every((r) => r.source === "changelog" && r.cached === 0), JSON.stringify(sixth.restores));
    assert.ok(sixth.restores.reduce((n, r) => n + r.fromChangelog, 0) >= KEYS, "the keys' state came from the changelog");
  });
});
