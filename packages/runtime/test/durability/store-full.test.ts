/**
 * A data directory that cannot grow (a full disk; here a file size limit,
 * `ulimit -f`, which makes LMDB's writes fail with EFBIG): `eddy run` must stop
 * accepting input with a clear error instead of crashing, and keep everything
 * it committed.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { address, Types } from "@eddy/sdk";
import { LmdbStateStore } from "@eddy/runtime";
import { startEddy } from "../support/eddy-process.js";
import { freePort, playgroundModuleYaml } from "../support/local-servers.js";

const functionsModule = new URL("./crash-functions.ts", import.meta.url).pathname;
const FILE_LIMIT_KB = 3072;

async function put(port: number, path: string, text: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: "PUT",
    headers: { "content-type": "application/vnd.io.statefun.types/string" },
    body: Types.string.serialize(text),
  });
  return { status: res.status, body: await res.text() };
}

describe("a data directory that runs out of space", () => {
  it("stops accepting input with a clear error, does not crash, and keeps what it committed", { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "eddy-full-"));
    const [ingressPort, egressPort] = [await freePort(), await freePort()];
    const moduleFile = join(dir, "module.yaml");
    writeFileSync(moduleFile, playgroundModuleYaml({ functions: "crash/*", module: functionsModule, ingressPort, egressPort, topics: ["audit"] }));
    const dataDir = join(dir, "data");

    const limited = await startEddy(["run", moduleFile, "--data-dir", dataDir], { fileLimitKb: FILE_LIMIT_KB });
    const send = (path: string, text: string) =>
      put(ingressPort, path, text).catch((error: unknown) => {
        throw new Error(`PUT ${path} failed (${String(error)}); eddy's output:\n${limited.output().slice(-3000)}`);
      });
    const accepted: string[] = [];
    const pad = "x".repeat(20_000);
    let refusal: { status: number; body: string } | undefined;
    for (let i = 0; i < 2000 && refusal === undefined; i++) {
      const answer = await send("/crash/mirror/m", `m${i}:${pad}`);
      if (answer.status === 200) accepted.push(`m${i}`);
      else refusal = answer;
    }
    assert.ok(refusal !== undefined, `the store never filled up (${accepted.length} accepted)`);
    assert.equal(refusal.status, 503, refusal.body);
    assert.match(refusal.body, /could not write .*takes no more input until Eddy is restarted\. Free disk space .*everything committed before is kept/);
    // Input stays refused, also for a function type never used before (its states are registered now).
    assert.equal((await send("/crash/mirror/m", "small")).status, 503);
    assert.equal((await send("/crash/timer/t", "first")).status, 503);
    assert.equal(limited.child.exitCode, null, `eddy is still running:\n${limited.output().slice(-2000)}`);
    assert.ok(accepted.length > 0);
    // An operator stops it to free space: SIGTERM ends it (before, it waited for ever in the store's close).
    limited.child.kill("SIGTERM");
    const exitCode = await limited.exited;
    assert.notEqual(exitCode, null, `eddy exited on its own after SIGTERM:\n${limited.output().slice(-2000)}`);

    // Restarted with room, it processes what it had accepted and nothing else.
    const roomy = await startEddy(["run", moduleFile, "--data-dir", dataDir]);
    roomy.child.kill("SIGTERM");
    await roomy.exited;
    const store = new LmdbStateStore({ path: dataDir });
    try {
      const ids = store.read(address("crash/mirror", "m"), "", Date.now()).find((e) => e.name === "ids")?.value;
      assert.ok(ids !== undefined, "the mirror's state");
      const applied = (JSON.parse(Types.string.deserialize(ids.value ?? new Uint8Array(0))) as string[]).map((t) => t.split(":", 1)[0]);
      assert.deepEqual(applied, accepted, "every accepted message applied once, in order; no refused one");
      assert.equal(store.recover().messages.length, 0);
    } finally {
      await store.close();
    }
  });
});
