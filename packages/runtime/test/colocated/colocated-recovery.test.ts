/**
 * `eddy run` with a co-located function, SIGKILLed while messages for that
 * function are in the log: the co-located process must die with it, and the
 * restarted runtime must start the process before it recovers those messages.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { colocatedPid, freePort, greet, groupAlive, repo, takeGreetings, waitFor } from "./helpers.js";
import type { Ports } from "./helpers.js";
import { startEddy } from "../support/eddy-process.js";

const example = join(repo, "examples/colocated-greeter");

describe("co-located functions across a SIGKILL of the runtime", () => {
  it("the process dies with the runtime, and a restart starts it before recovering its messages", { timeout: 90_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "eddy-colocated-crash-"));
    const ports: Ports = { ingress: await freePort(), egress: await freePort() };
    const moduleFile = join(dir, "module.yaml");
    writeFileSync(
      moduleFile,
      [
        "kind: io.eddy.functions.v1/colocated",
        "spec:",
        "  functions: apache/greeter",
        `  command: [node, --import, tsx, ${join(example, "functions.ts")}]`,
        `  cwd: ${example}`,
        "  env: { NODE_OPTIONS: --conditions=eddy-source }",
        "  readiness: { timeout: 20 s }",
        "---",
        "kind: io.statefun.playground.v1/ingress",
        "spec:",
        `  port: ${ports.ingress}`,
        "---",
        "kind: io.statefun.playground.v1/egress",
        "spec:",
        `  port: ${ports.egress}`,
        "  topics: [greetings]",
      ].join("\n"),
    );
    const dataDir = join(dir, "data");

    const first = await startEddy(["run", moduleFile, "--data-dir", dataDir]);
    const pgid = colocatedPid(first.output());
    // Frozen, the function answers nothing: the accepted messages stay in the log.
    process.kill(-pgid, "SIGSTOP");
    for (const who of ["Ann", "Bob", "Cy"]) assert.equal((await greet(ports, who)).status, 200);
    first.child.kill("SIGKILL");
    await first.exited;
    process.kill(-pgid, "SIGCONT");
    await waitFor("the co-located process to end with its runtime", () => !groupAlive(pgid), 15_000);

    const second = await startEddy(["run", moduleFile, "--data-dir", dataDir]);
    try {
      assert.match(second.output(), /recovered from the store/);
      const greetings = await takeGreetings(ports, 3);
      assert.deepEqual([...greetings].sort(), ["Hello Ann ! 😎", "Hello Bob ! 😎", "Hello Cy ! 😎"]);
    } finally {
      second.child.kill("SIGTERM");
      await second.exited;
    }
    assert.equal(groupAlive(colocatedPid(second.output())), false, "a drained runtime stops its co-located process");
  });
});
