// `npm run demo` and `eddy run` start fast when nothing changed: the build is skipped when its
// inputs are older than the last build, and importing @eddy/runtime loads no connector client.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { statSync } from "node:fs";

const root = new URL("../../", import.meta.url).pathname;

function loadedBy(script: string): string[] {
  const out = execFileSync(
    process.execPath,
    ["--conditions=eddy-source", "--import", "tsx", "--import", "./test/project/record-loads.mjs", "--input-type=module", "-e", script],
    { cwd: root, encoding: "utf8" },
  );
  return out.split("\n").filter((l) => l !== "");
}

const CONNECTOR_CLIENTS = ["/@platformatic/kafka/", "/@aws-sdk/", "/@smithy/", "/undici/"];

/** What a process that builds a runtime from this module.yaml text loads. */
function loadedBuilding(moduleYaml: string): string[] {
  return loadedBy(
    [
      'import { buildRuntime, parseModuleYaml, silentLogger } from "@eddy/runtime";',
      `await buildRuntime(parseModuleYaml(${JSON.stringify(moduleYaml)}, "module.yaml"), { logger: silentLogger() });`,
    ].join("\n"),
  );
}

function connectorClients(loaded: readonly string[]): string[] {
  return loaded.filter((u) => CONNECTOR_CLIENTS.some((c) => u.includes(c)));
}

describe("startup", () => {
  it("importing @eddy/runtime loads no Kafka, Kinesis or HTTP-pool client", () => {
    const loaded = loadedBy('await import("@eddy/runtime");');
    assert.ok(loaded.some((u) => u.includes("/packages/runtime/src/index.ts")), "the probe sees the runtime load");
    assert.deepEqual(connectorClients(loaded), []);
  });

  it("importing @eddy/runtime or @eddy/sdk loads neither the generated protocol schemas nor protobuf-es's reflection", () => {
    // They were a third of the runtime's import (docs/performance.md, section 4); only the
    // binary reader (@bufbuild/protobuf/wire, which the request-reply readers use) may load.
    for (const entry of ["@eddy/runtime", "@eddy/sdk"]) {
      const loaded = loadedBy(`await import("${entry}");`);
      const schemas = loaded.filter((u) => u.endsWith("_pb.ts") || u.endsWith("_pb.js") || u.includes("/@bufbuild/protobuf/dist/esm/codegenv") || u.includes("/@bufbuild/protobuf/dist/esm/wkt/gen/") || u.endsWith("/@bufbuild/protobuf/dist/esm/registry.js"));
      assert.deepEqual(schemas, [], `${entry} loads them`);
      assert.ok(loaded.some((u) => u.includes("/packages/protocol/src/wire.ts")), `${entry}: the probe sees @eddy/protocol/wire load`);
    }
  });

  it("a module with only playground components loads no connector client either", () => {
    assert.deepEqual(connectorClients(loadedBuilding("kind: io.statefun.playground.v1/egress\nspec:\n  port: 1\n  topics: [t]\n")), []);
  });

  it("a module with a Kafka ingress loads the Kafka client", () => {
    const loaded = loadedBuilding(
      [
        "kind: io.statefun.kafka.v1/ingress",
        "spec:",
        "  id: ex/in",
        "  address: 127.0.0.1:9",
        "  consumerGroupId: g",
        "  topics:",
        "    - topic: t",
        "      valueType: io.statefun.types/string",
        "      targets: [ex/fn]",
      ].join("\n"),
    );
    assert.ok(loaded.some((u) => u.includes("/@platformatic/kafka/")), "the Kafka client is loaded when used");
  });

  it("a second build with nothing changed compiles nothing and keeps dist as it is", () => {
    execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: root, encoding: "utf8" });
    const stamp = statSync(`${root}packages/runtime/dist/.build-stamp`).mtimeMs;
    const again = execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: root, encoding: "utf8" });
    assert.equal(again, "", "no package is rebuilt");
    assert.equal(statSync(`${root}packages/runtime/dist/.build-stamp`).mtimeMs, stamp);
  });
});
