import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnEddy } from "../support/eddy-process.js";
import { freePort, playgroundModuleYaml } from "../support/local-servers.js";

const repo = new URL("../../../../", import.meta.url).pathname;
const greeterModule = join(repo, "examples/greeter/greeter.ts");

describe("eddy run", () => {
  it("serves the greeter from a module.yaml, then drains and exits 0 on SIGTERM", async () => {
    const [ingressPort, egressPort] = [await freePort(), await freePort()];
    const dir = mkdtempSync(join(tmpdir(), "eddy-cli-"));
    const moduleFile = join(dir, "module.yaml");
    writeFileSync(
      moduleFile,
      playgroundModuleYaml({ functions: "apache/*", module: greeterModule, ingressPort, egressPort, topics: ["greetings"] }),
    );
    const eddy = spawnEddy(["run", moduleFile]);
    try {
      await eddy.waitFor("eddy is running");
      assert.match(eddy.stdout(), new RegExp(`playground ingress on http://127.0.0.1:${ingressPort}`));
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
      const adminUrl = /admin API on (http:\/\/127\.0\.0\.1:\d+)/.exec(eddy.stdout())?.[1];
      assert.ok(adminUrl, "the admin URL is logged");
      const ready = await fetch(`${adminUrl}/readyz`);
      assert.equal(ready.status, 200);
      assert.deepEqual(await ready.json(), { ready: true, status: "ready" });
    } finally {
      eddy.child.kill("SIGTERM");
    }
    assert.equal(await eddy.exited, 0);
    assert.match(eddy.stdout(), /"drained":true/);
  });

  it("refuses an invalid module.yaml with the file, line, key path and rule, and starts nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "eddy-cli-"));
    const moduleFile = join(dir, "module.yaml");
    writeFileSync(
      moduleFile,
      ["kind: io.statefun.endpoints.v2/http", "spec:", '  functions: "example/**"', "  urlPathTemplate: http://localhost:8000/"].join("\n"),
    );
    const eddy = spawnEddy(["run", moduleFile]);
    assert.equal(await eddy.exited, 1);
    const [stderr, stdout] = [eddy.stderr(), eddy.stdout()];
    assert.match(stderr, /module\.yaml:3:\d+ spec\.functions: .*example\/\*\*/);
    assert.doesNotMatch(stdout, /eddy is running/);
  });

  it("says which embedded module failed to load", async () => {
    const dir = mkdtempSync(join(tmpdir(), "eddy-cli-"));
    const moduleFile = join(dir, "module.yaml");
    writeFileSync(moduleFile, ["kind: io.eddy.functions.v1/embedded", "spec:", "  functions: a/b", "  module: ./missing.ts"].join("\n"));
    const eddy = spawnEddy(["run", moduleFile]);
    assert.equal(await eddy.exited, 1);
    assert.match(eddy.stderr(), /module\.yaml:1:1: cannot load embedded functions from .*missing\.ts/);
  });

  it("prints its version", async () => {
    const eddy = spawnEddy(["--version"]);
    assert.equal(await eddy.exited, 0);
    assert.match(eddy.stdout(), /^\d+\.\d+\.\d+\n$/);
  });

  it("refuses an admin port that is not a port number before starting anything", async () => {
    const dir = mkdtempSync(join(tmpdir(), "eddy-cli-"));
    const moduleFile = join(dir, "module.yaml");
    writeFileSync(moduleFile, ["kind: io.eddy.functions.v1/embedded", "spec:", "  functions: apache/*", `  module: ${greeterModule}`].join("\n"));
    const eddy = spawnEddy(["run", moduleFile, "--admin-port", "80a", "--in-memory"]);
    assert.equal(await eddy.exited, 1);
    assert.match(eddy.stderr(), /--admin-port must be a port number from 0 to 65535, got "80a"/);
  });
});

/** A stack trace has lines like "    at fn (file:1:2)". */
const STACK_LINE = /^\s+at .+/m;

function moduleDir(lines: readonly string[]): { dir: string; moduleFile: string } {
  const dir = mkdtempSync(join(tmpdir(), "eddy-cli-"));
  const moduleFile = join(dir, "module.yaml");
  writeFileSync(moduleFile, lines.join("\n"));
  return { dir, moduleFile };
}

describe("eddy validate", () => {
  it("refuses an embedded module file that does not exist, as eddy run does", async () => {
    const { moduleFile } = moduleDir(["kind: io.eddy.functions.v1/embedded", "spec:", "  functions: a/b", "  module: ./missing.ts"]);
    const eddy = spawnEddy(["validate", moduleFile]);
    assert.equal(await eddy.exited, 1);
    assert.match(eddy.stderr(), /module\.yaml:1:1: cannot load embedded functions from .*missing\.ts/);
    assert.doesNotMatch(eddy.stdout(), /valid/);
  });

  it("refuses a function pattern that no export of the module matches", async () => {
    const { moduleFile } = moduleDir(["kind: io.eddy.functions.v1/embedded", "spec:", "  functions: nobody/*", `  module: ${greeterModule}`]);
    const eddy = spawnEddy(["validate", moduleFile]);
    assert.equal(await eddy.exited, 1);
    assert.match(eddy.stderr(), /exports no function matching "nobody\/\*" \(found: apache\/greeter\)/);
    assert.doesNotMatch(eddy.stdout(), /valid/);
  });

  it("still says valid for a module that runs", async () => {
    const { moduleFile } = moduleDir(["kind: io.eddy.functions.v1/embedded", "spec:", "  functions: apache/*", `  module: ${greeterModule}`]);
    const eddy = spawnEddy(["validate", moduleFile]);
    assert.equal(await eddy.exited, 0, eddy.stderr());
    assert.match(eddy.stdout(), /1 components, valid/);
  });
});

describe("eddy state export", () => {
  it("refuses a data directory that does not exist and creates nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "eddy-cli-"));
    const mistyped = join(dir, "eddy-dta");
    const eddy = spawnEddy(["state", "export", mistyped, join(dir, "snapshot.jsonl")]);
    assert.equal(await eddy.exited, 1);
    assert.match(eddy.stderr(), /eddy-dta.*does not exist/);
    assert.doesNotMatch(eddy.stderr(), STACK_LINE);
    assert.equal(existsSync(mistyped), false);
    assert.equal(existsSync(join(dir, "snapshot.jsonl")), false);
  });

  it("refuses a directory that is not an Eddy data directory", async () => {
    const dir = mkdtempSync(join(tmpdir(), "eddy-cli-"));
    const eddy = spawnEddy(["state", "export", dir, join(tmpdir(), `eddy-snap-${process.pid}.jsonl`)]);
    assert.equal(await eddy.exited, 1);
    assert.match(eddy.stderr(), /not an Eddy data directory/);
    assert.deepEqual(readdirSync(dir), []);
  });
});

describe("eddy run: one clear line for a bad start", () => {
  it("names a module file that does not exist", async () => {
    const missing = join(tmpdir(), `eddy-missing-${process.pid}`, "module.yaml");
    const eddy = spawnEddy(["run", missing]);
    assert.equal(await eddy.exited, 1);
    const stderr = eddy.stderr();
    assert.match(stderr, /^eddy: cannot read the module file .*module\.yaml: it does not exist/);
    assert.doesNotMatch(stderr, STACK_LINE);
  });

  it("names a data directory that cannot be created", async () => {
    const { dir, moduleFile } = moduleDir(["kind: io.eddy.functions.v1/embedded", "spec:", "  functions: apache/*", `  module: ${greeterModule}`]);
    const file = join(dir, "a-file");
    writeFileSync(file, "");
    const eddy = spawnEddy(["run", moduleFile, "--data-dir", join(file, "data")]);
    assert.equal(await eddy.exited, 1);
    const stderr = eddy.stderr();
    assert.match(stderr, /^eddy: cannot create the data directory .*a-file\/data: .*; choose a writable --data-dir/);
    assert.doesNotMatch(stderr, STACK_LINE);
  });

  it("names the ingress and the port when the port is in use, and says what to do", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const { moduleFile } = moduleDir(
        playgroundModuleYaml({ functions: "apache/*", module: greeterModule, ingressPort: port, egressPort: await freePort(), topics: ["greetings"] }).split("\n"),
      );
      const eddy = spawnEddy(["run", moduleFile, "--in-memory"]);
      assert.equal(await eddy.exited, 1);
      const stderr = eddy.stderr();
      assert.match(
        stderr,
        new RegExp(`^eddy: ingress io\\.statefun\\.playground/ingress \\(.*module\\.yaml:\\d+:\\d+\\): port ${port} on 127\\.0\\.0\\.1 is already in use; stop the process that uses it or choose another port`),
      );
      assert.doesNotMatch(stderr, STACK_LINE);
    } finally {
      taken.close();
    }
  });
});

describe("eddy run: a drain that times out", () => {
  const stuckModule = join(repo, "packages/runtime/test/cli/fixtures/always-failing.ts");

  for (const inMemory of [false, true]) {
    it(`exits non-zero and says how many accepted messages are ${inMemory ? "lost (--in-memory)" : "kept in the data directory"}`, async () => {
      const [ingressPort, egressPort] = [await freePort(), await freePort()];
      const { dir, moduleFile } = moduleDir(
        playgroundModuleYaml({ functions: "stuck/*", module: stuckModule, ingressPort, egressPort, topics: ["out"] }).split("\n"),
      );
      const eddy = spawnEddy(["run", moduleFile, "--drain-timeout", "300", ...(inMemory ? ["--in-memory"] : [])]);
      try {
        await eddy.waitFor("eddy is running");
        for (const id of ["a", "b"]) {
          const put = await fetch(`http://127.0.0.1:${ingressPort}/stuck/fn/${id}`, {
            method: "PUT",
            headers: { "Content-Type": "application/vnd.stuck/Id" },
            body: id,
          });
          assert.equal(put.status, 200);
        }
      } finally {
        eddy.child.kill("SIGTERM");
      }
      assert.equal(await eddy.exited, 1);
      const stderr = eddy.stderr();
      if (inMemory) {
        assert.match(stderr, /eddy: the drain timed out after 300 ms with 2 accepted messages not processed; they are lost \(--in-memory\)/);
      } else {
        assert.match(stderr, new RegExp(`eddy: the drain timed out after 300 ms with 2 accepted messages not processed; they are kept in ${join(dir, ".eddy-data")} and processed on the next start`));
      }
    });
  }
});
