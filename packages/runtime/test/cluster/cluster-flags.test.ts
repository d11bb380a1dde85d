import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnEddy } from "../support/eddy-process.js";
import { clusterSetup } from "./cluster-helpers.js";

/** Runs `eddy run` with these flags and returns its exit code and output (it must refuse before starting anything). */
async function refused(args: string[]): Promise<{ code: number | null; output: string }> {
  const eddy = spawnEddy(["run", "examples/kafka-greeter/module.yaml", "--admin-port", "0", ...args]);
  const code = await eddy.exited;
  return { code, output: eddy.output() };
}

describe("eddy run --cluster: flags are checked before anything starts", { timeout: 120_000 }, () => {
  it("refuses --cluster without --bootstrap, --bootstrap without --cluster, a bad name, --in-memory with --cluster, an embedded data directory as a worker's cache", async () => {
    const embedded = mkdtempSync(join(tmpdir(), "eddy-embedded-"));
    writeFileSync(join(embedded, "eddy-store.json"), `${JSON.stringify({ format: 2 })}\n`);
    const cases: [string[], RegExp][] = [
      [["--cluster", "demo"], /--cluster demo needs --bootstrap <host:port,\.\.\.>/],
      [["--bootstrap", "127.0.0.1:1"], /--bootstrap needs --cluster <name>/],
      [["--cluster", "no/slash", "--bootstrap", "127.0.0.1:1"], /--cluster "no\/slash": a cluster name is 1 to 100 letters/],
      [["--cluster", "demo", "--bootstrap", "127.0.0.1:1", "--in-memory"], /--in-memory does not apply with --cluster/],
      // Refused before the (unreachable) broker is asked anything.
      [["--cluster", "demo", "--bootstrap", "127.0.0.1:1", "--data-dir", embedded], /is not empty and is not an Eddy data directory \(no eddy-cluster-cache\.json\)/],
      [["--cluster", "demo", "--bootstrap", "127.0.0.1:1", "--partitions", "0"], /--partitions 0: expected a whole number ≥ 1/],
    ];
    const results = await Promise.all(cases.map(([args]) => refused(args)));
    results.forEach((r, i) => {
      assert.equal(r.code, 1, r.output);
      assert.match(r.output, cases[i]![1]);
      assert.doesNotMatch(r.output, /\n\s+at /, "no stack trace");
    });
  });

  it("refuses a Kinesis ingress whose target no function serves, naming ingress, stream and target, before the broker is asked anything", async () => {
    const { moduleFile } = clusterSetup("flags", undefined, undefined, [
      "kind: io.statefun.kinesis.v1/ingress",
      "spec:",
      "  id: test/input",
      "  awsRegion: { type: custom-endpoint, endpoint: http://127.0.0.1:1, id: us-east-1 }",
      "  awsCredentials: { type: basic, accessKeyId: k, secretAccessKey: s }",
      "  streams:",
      "    - { stream: clicks, valueType: test/Input, targets: [test/nobody] }",
    ]);
    // The broker is unreachable: a worker that got as far as asking it would retry, not exit.
    const eddy = spawnEddy(["run", moduleFile, "--admin-port", "0", "--cluster", "demo", "--bootstrap", "127.0.0.1:1"]);
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([eddy.exited, new Promise<"running">((r) => (timer = setTimeout(() => r("running"), 30_000)))]);
    clearTimeout(timer);
    if (code === "running") {
      eddy.kill("SIGKILL");
      await eddy.exited;
    }
    assert.equal(code, 1, eddy.output());
    assert.match(eddy.output(), /Kinesis ingress test\/input, stream clicks: target test\/nobody: no function is bound for type test\/nobody/);
    assert.doesNotMatch(eddy.output(), /\n\s+at /, "no stack trace");
  });
});
