import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, playgroundModuleYaml } from "../support/local-servers.js";

const repo = new URL("../../../../", import.meta.url).pathname;
const cli = join(repo, "packages/runtime/src/cli/main.ts");
const greeterModule = join(repo, "examples/greeter/greeter.ts");


/** Runs the CLI; `eddy run` gets a free admin port so tests never take the default 8099. */
function startEddy(args: string[]) {
  const withAdmin = args[0] === "run" && !args.includes("--admin-port") ? [...args, "--admin-port", "0"] : args;
  const child = spawn(process.execPath, ["--conditions=eddy-source", "--import", "tsx", cli, ...withAdmin], {
    cwd: repo,
    env: { ...process.env, EDDY_LOG_LEVEL: "info" },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  return { child, exited, output: () => ({ stdout, stderr }) };
}

describe("eddy run", () => {
  it("serves the greeter from a module.yaml, then drains and exits 0 on SIGTERM", async () => {
    const [ingressPort, egressPort] = [await freePort(), await freePort()];
    const dir = mkdtempSync(join(tmpdir(), "eddy-cli-"));
    const moduleFile = join(dir, "module.yaml");
    writeFileSync(
      moduleFile,
      playgroundModuleYaml({ functions: "apache/*", module: greeterModule, ingressPort, egressPort, topics: ["greetings"] }),
    );
    const eddy = startEddy(["run", moduleFile]);
    try {
      for (let i = 0; i < 200 && !eddy.output().stdout.includes("eddy is running"); i++) {
        await new Promise((r) => setTimeout(r, 25));
      }
      assert.match(eddy.output().stdout, /eddy is running/, eddy.output().stderr);
      assert.match(eddy.output().stdout, new RegExp(`playground ingress on http://127.0.0.1:${ingressPort}`));
      const put = await fetch(`http://127.0.0.1:${ingressPort}/apache/greeter/Ann`, {
        method: "PUT",
        headers: { "Content-Type": "application/vnd.apache/GreetRequest" },
        body: '{"who":"Ann"}',
      });
      assert.equal(put.status, 200);
      let greeting = "";
      for (let i = 0; i < 100 && greeting === ""; i++) {
        const res = await fetch(`http://127.0.0.1:${egressPort}/greetings`);
        if (res.status === 200) greeting = await res.text();
        else await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal(greeting, "Hello Ann ! 😎");
      const adminUrl = /admin API on (http:\/\/127\.0\.0\.1:\d+)/.exec(eddy.output().stdout)?.[1];
      assert.ok(adminUrl, "the admin URL is logged");
      const ready = await fetch(`${adminUrl}/readyz`);
      assert.equal(ready.status, 200);
      assert.deepEqual(await ready.json(), { ready: true, status: "ready" });
    } finally {
      eddy.child.kill("SIGTERM");
    }
    assert.equal(await eddy.exited, 0);
    assert.match(eddy.output().stdout, /"drained":true/);
  });

  it("refuses an invalid module.yaml with the file, line, key path and rule, and starts nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "eddy-cli-"));
    const moduleFile = join(dir, "module.yaml");
    writeFileSync(
      moduleFile,
      ["kind: io.statefun.endpoints.v2/http", "spec:", '  functions: "example/**"', "  urlPathTemplate: http://localhost:8000/"].join("\n"),
    );
    const eddy = startEddy(["run", moduleFile]);
    assert.equal(await eddy.exited, 1);
    const { stderr, stdout } = eddy.output();
    assert.match(stderr, /module\.yaml:3:\d+ spec\.functions: .*example\/\*\*/);
    assert.doesNotMatch(stdout, /eddy is running/);
  });

  it("says which embedded module failed to load", async () => {
    const dir = mkdtempSync(join(tmpdir(), "eddy-cli-"));
    const moduleFile = join(dir, "module.yaml");
    writeFileSync(moduleFile, ["kind: io.eddy.functions.v1/embedded", "spec:", "  functions: a/b", "  module: ./missing.ts"].join("\n"));
    const eddy = startEddy(["run", moduleFile]);
    assert.equal(await eddy.exited, 1);
    assert.match(eddy.output().stderr, /module\.yaml:1:1: cannot load embedded functions from .*missing\.ts/);
  });

  it("prints its version", async () => {
    const eddy = startEddy(["--version"]);
    assert.equal(await eddy.exited, 0);
    assert.match(eddy.output().stdout, /^\d+\.\d+\.\d+\n$/);
  });

  it("refuses an admin port that is not a port number before starting anything", async () => {
    const dir = mkdtempSync(join(tmpdir(), "eddy-cli-"));
    const moduleFile = join(dir, "module.yaml");
    writeFileSync(moduleFile, ["kind: io.eddy.functions.v1/embedded", "spec:", "  functions: apache/*", `  module: ${greeterModule}`].join("\n"));
    const eddy = startEddy(["run", moduleFile, "--admin-port", "80a", "--in-memory"]);
    assert.equal(await eddy.exited, 1);
    assert.match(eddy.output().stderr, /--admin-port must be a port number from 0 to 65535, got "80a"/);
  });
});
