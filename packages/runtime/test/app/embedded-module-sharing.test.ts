import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import * as protobuf from "@bufbuild/protobuf";
import { buildRuntime, parseModuleYaml, silentLogger } from "@eddy/runtime";

const fixture = fileURLToPath(new URL("./fixtures/shared-packages.ts", import.meta.url));

describe("an embedded TypeScript module", () => {
  it("shares the runtime's instance of the packages both import (loaded once, not again through tsx)", async () => {
    const module = ["kind: io.eddy.functions.v1/embedded", "spec:", "  functions: test/probe", `  module: ${fixture}`].join("\n");
    await buildRuntime(parseModuleYaml(module, "module.yaml"), { logger: silentLogger() });
    const seen = (globalThis as { sharedPackagesProbe?: unknown }).sharedPackagesProbe;
    assert.ok(seen !== undefined, "the module ran");
    assert.equal(seen, protobuf, "the module's @bufbuild/protobuf is the runtime's, not a second copy");
  });
});
