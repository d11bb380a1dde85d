// Eddy supports the Node versions in the root package.json's `engines` (README: "Node.js versions").
// Every installed package must accept the oldest of them, so `npm ci` prints no EBADENGINE warning,
// and the AWS SDK must not print its Node-version warning into logs and test output.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import semver from "semver";

const root = new URL("../../", import.meta.url);

interface Manifest {
  readonly engines?: { readonly node?: string };
}

function manifest(path: string): Manifest {
  return JSON.parse(readFileSync(new URL(path, root), "utf8")) as Manifest;
}

describe("supported Node versions", () => {
  const supported = manifest("package.json").engines?.node ?? "";

  it("are stated once and the same in every workspace package", () => {
    assert.ok(semver.validRange(supported), `root engines.node "${supported}" is a valid range`);
    for (const name of ["protocol", "sdk", "runtime", "testing"]) {
      assert.equal(manifest(`packages/${name}/package.json`).engines?.node, supported, `packages/${name}`);
    }
  });

  it("are accepted by every package in package-lock.json (no EBADENGINE on npm ci)", () => {
    const lock = JSON.parse(readFileSync(new URL("package-lock.json", root), "utf8")) as {
      packages: Record<string, { engines?: { node?: string } | string[]; optional?: boolean }>;
    };
    // The first release of each supported line, e.g. 20.19.4 and 22.18.0.
    const oldest = supported.split("||").map((range) => semver.minVersion(range)!.version);
    const refusing = Object.entries(lock.packages)
      .filter(([, p]) => typeof p.engines === "object" && !Array.isArray(p.engines) && p.engines.node !== undefined)
      .flatMap(([path, p]) => {
        const range = (p.engines as { node: string }).node;
        return oldest.filter((v) => !semver.satisfies(v, range)).map((v) => `${path} (${range}) refuses ${v}`);
      });
    assert.deepEqual(refusing, []);
  });

  it("the Kinesis client Eddy creates prints no NodeVersionSupportWarning", () => {
    const script = [
      'import { createKinesisClient } from "./packages/runtime/src/io/kinesis/kinesis-client.ts";',
      'const client = createKinesisClient({ config: { region: "us-east-1", endpoint: "http://127.0.0.1:9" }, ignored: [] });',
      "client.destroy();",
    ].join("\n");
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"];
    const run = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: new URL(".", root).pathname,
      env,
      encoding: "utf8",
    });
    assert.equal(run.status, 0, run.stderr);
    assert.doesNotMatch(run.stderr, /NodeVersionSupportWarning/);
  });
});
