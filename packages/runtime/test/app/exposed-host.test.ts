import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { buildRuntime, parseModuleYaml } from "@eddy/runtime";
import { capturingLogger } from "../support/capturing-logger.js";


const module = [
  "kind: io.statefun.playground.v1/ingress",
  "spec:",
  "  port: 18090",
  "---",
  "kind: io.statefun.playground.v1/egress",
  "spec:",
  "  port: 18091",
  "  topics: [out]",
].join("\n");

describe("binding the playground servers beyond loopback", () => {
  it("warns, naming each exposed server and port, when --host is 0.0.0.0", async () => {
    const { logger, entries } = capturingLogger();
    await buildRuntime(parseModuleYaml(module, "module.yaml"), { logger, host: "0.0.0.0" });
    const warnings = entries.filter((e) => e.level === 40);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!.msg, /--host 0\.0\.0\.0 serves unauthenticated HTTP beyond this machine/);
    assert.match(warnings[0]!.msg, /playground ingress on port 18090 .*send messages/);
    assert.match(warnings[0]!.msg, /playground egress on port 18091 .*pop every egress record/);
  });

  it("says nothing on loopback", async () => {
    for (const host of ["127.0.0.1", "localhost", "::1"]) {
      const { logger, entries } = capturingLogger();
      await buildRuntime(parseModuleYaml(module, "module.yaml"), { logger, host });
      assert.deepEqual(entries.filter((e) => e.level >= 40), [], host);
    }
  });
});
