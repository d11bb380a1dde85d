/**
 * Group commits overlap: the store hands the next one to LMDB while the one
 * before it is still being committed and synced. When that one fails (here a
 * file size limit, `ulimit -f`: its writes fail with EFBIG, like a full disk),
 * every group commit queued after it must fail too and leave nothing on disk,
 * even one LMDB already ran: its writes may depend on the failed ones (a
 * commit consuming a message whose log write failed).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { address, Types } from "@eddy/sdk";
import { LmdbStateStore } from "@eddy/runtime";

const child = new URL("./group-commit-failure-child.ts", import.meta.url).pathname;
const FILE_LIMIT_KB = 32_768;
/**
 * Whether LMDB already holds a later group commit when the failure comes
 * depends on timing (about half the time on a busy 2-core box); five stores
 * make it all but certain that at least one does.
 */
const STORES = 5;

interface Outcome {
  readonly dir: string;
  readonly big: string;
  readonly after: readonly string[];
}

function runChild(dirs: readonly string[]): Promise<Outcome[]> {
  const proc = spawn("bash", ["-c", `ulimit -f ${FILE_LIMIT_KB}; exec "$@"`, "child", process.execPath, "--conditions=eddy-source", "--import", "tsx", child, ...dirs], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  proc.stdout.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr.on("data", (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    proc.on("close", (code) => {
      const lines = out.trim().split("\n").filter((l) => l.startsWith("{"));
      if (code === 0 && lines.length === dirs.length) resolve(lines.map((l) => JSON.parse(l) as Outcome));
      else reject(new Error(`the child exited with ${code}: ${out}${err}`));
    });
  });
}

describe("LmdbStateStore: a failed group commit", () => {
  it("fails every group commit queued after it, and none of them writes anything", { timeout: 120_000 }, async (t) => {
    const dirs = Array.from({ length: STORES }, () => mkdtempSync(join(tmpdir(), "eddy-group-fail-")));
    // Each directory holds a data file grown to the file size limit: 32 MB apiece.
    t.after(() => {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    });
    for (const { dir, big, after } of await runChild(dirs)) {
      assert.equal(big, "EDDY_STORE_FAILED", "the commit past the file size limit fails");
      assert.ok(after.length > 0);
      assert.deepEqual(
        after.filter((code) => code !== "EDDY_STORE_FAILED"),
        [],
        "every write queued after the failed group commit fails as the store's failure",
      );
      const store = new LmdbStateStore({ path: dir });
      try {
        const value = (id: string) => store.read(address("test/group", id), "", Date.now())[0]?.value;
        assert.equal(Types.string.deserialize(value("before")!.value!), "small", "what committed before stays");
        assert.equal(value("big"), undefined);
        const written = after.map((_, i) => i).filter((i) => value(`after-${i}`) !== undefined);
        assert.deepEqual(written, [], `nothing queued after the failed group commit is on disk (${dir})`);
      } finally {
        await store.close();
      }
    }
  });
});
