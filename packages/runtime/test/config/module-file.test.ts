import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { isEddyError } from "@eddy/sdk";
import { fileURLToPath } from "node:url";
import { ModuleConfigError, loadModuleFile, parseModuleYaml } from "../../src/config/index.js";
import { parse, parseError, problemLines, yaml } from "./helpers.js";

const fixtures = join(dirname(fileURLToPath(import.meta.url)), "fixtures");

describe("documents", () => {
  test("null and empty documents are skipped", () => {
    const config = parse(
      yaml("---", "---", "kind: io.statefun.playground.v1/ingress", "spec:", "  port: 8090", "---", "~", "---"),
    );
    assert.equal(config.components.length, 1);
    assert.equal(config.file, "module.yaml");
  });

  test("unknown keys inside spec are ignored, as StateFun does", () => {
    const config = parse(
      yaml("kind: io.statefun.playground.v1/ingress", "spec:", "  port: 8090", "  colour: blue", "  nested: {anything: [1, 2]}"),
    );
    assert.deepEqual(config.components[0]?.kind, "io.statefun.playground.v1/ingress");
  });

  test("an unknown kind is rejected, naming the known kinds", () => {
    const error = parseError(yaml("kind: io.statefun.endpoints.v3/http", "spec: {}"));
    assert.equal(error.line, 1);
    assert.equal(error.column, 7);
    assert.equal(error.path, "kind");
    assert.match(error.rule, /^unknown kind "io\.statefun\.endpoints\.v3\/http" \(known kinds: io\.statefun\.endpoints\.v1\/http, /u);
    assert.match(error.rule, /io\.eddy\.runtime\.v1\/settings\)$/u);
  });

  test("a document without kind or spec is rejected at the document start", () => {
    assert.deepEqual(problemLines(yaml("# greeter", "spec:", "  port: 8090", "---", "kind: io.statefun.playground.v1/ingress")), [
      "module.yaml:2:1 kind: is required (every document needs kind and spec)",
      "module.yaml:5:1 spec: is required (every document needs kind and spec)",
    ]);
  });

  test("a spec that is not a map is one problem, not a cascade", () => {
    assert.deepEqual(problemLines(yaml("kind: io.statefun.endpoints.v2/http", "spec: http://functions:8000/")), [
      'module.yaml:2:7 spec: must be a map of keys to values, not "http://functions:8000/"',
    ]);
  });

  test("a file with no components is rejected", () => {
    for (const text of ["", "# nothing here\n", "---\n---\n"]) {
      const error = parseError(text);
      assert.equal(error.message, "module.yaml:1:1 defines no components (expected at least one document with kind and spec)");
    }
  });
});

describe("ModuleConfigError", () => {
  test("one problem: the message is exactly file:line:column path: rule", () => {
    const error = parseError(
      yaml(
        "# The greeter example",
        "",
        "kind: io.statefun.endpoints.v2/http",
        "spec:",
        "  functions: example/**",
        "  urlPathTemplate: http://functions:8000/statefun",
      ),
      "examples/greeter/module.yaml",
    );
    assert.ok(error instanceof Error);
    assert.equal(error.name, "ModuleConfigError");
    assert.equal(error.code, "EDDY_CONFIG_INVALID");
    assert.ok(isEddyError(error, "EDDY_CONFIG_INVALID"), "part of Eddy's error family");
    assert.equal(error.retryable, false);
    assert.equal(
      error.message,
      'examples/greeter/module.yaml:5:14 spec.functions: "example/**" is not a valid function pattern (use "ns/name" or "ns/*")',
    );
    assert.deepEqual(
      { file: error.file, line: error.line, column: error.column, path: error.path, rule: error.rule },
      {
        file: "examples/greeter/module.yaml",
        line: 5,
        column: 14,
        path: "spec.functions",
        rule: '"example/**" is not a valid function pattern (use "ns/name" or "ns/*")',
      },
    );
    assert.equal(error.problems.length, 1);
  });

  test("several problems are all collected, in file order, one per line", () => {
    const error = parseError(
      yaml(
        "kind: io.statefun.kafka.v1/ingress",
        "spec:",
        "  id: names",
        "  address: kafka:9092",
        "  consumerGroupId: g",
        "  topics:",
        "    - topic: names",
        "      valueType: example/Name",
        "      targets: [example/greeter]",
        "  startupPosition:",
        "    type: date",
        "---",
        "kind: io.statefun.endpoints.v2/http",
        "spec:",
        "  functions: example/*",
        "  transport:",
        "    call: soon",
      ),
    );
    assert.equal(
      error.message,
      [
        "module.yaml has 4 problems:",
        '  module.yaml:3:7 spec.id: "names" is not a valid type name (use "namespace/name")',
        '  module.yaml:10:3 spec.startupPosition.date: is required (a date like "2020-02-01 04:15:00.000 +0000")',
        "  module.yaml:14:1 spec.urlPathTemplate: is required (the function's URL, e.g. http://functions:8000/statefun)",
        '  module.yaml:17:11 spec.transport.call: "soon" is not a valid duration (expected a number and an optional unit, e.g. "2 min")',
      ].join("\n"),
    );
    assert.deepEqual(
      error.problems.map((p) => [p.line, p.column, p.path]),
      [
        [3, 7, "spec.id"],
        [10, 3, "spec.startupPosition.date"],
        [14, 1, "spec.urlPathTemplate"],
        [17, 11, "spec.transport.call"],
      ],
    );
    assert.equal(error.line, 3, "the top-level fields describe the first problem");
  });

  test("YAML syntax errors carry the parser's line and column", () => {
    const error = parseError(yaml("kind: io.statefun.playground.v1/ingress", "spec:", "  port: 8090", "  port: 8091"));
    assert.equal(error.code, "EDDY_CONFIG_INVALID");
    assert.equal(error.message, "module.yaml:4:3 YAML syntax error: Map keys must be unique");
    assert.deepEqual([error.line, error.column, error.path], [4, 3, ""]);

    const flow = parseError(yaml("kind: io.statefun.playground.v1/egress", "spec:", "  topics: [a, b", "  port: 8091"));
    assert.equal(flow.problems[0]?.line, 4);
  });

  test("anchors and aliases are followed", () => {
    const config = parse(
      yaml(
        "kind: io.statefun.kafka.v1/ingress",
        "spec:",
        "  id: example/in",
        "  address: kafka:9092",
        "  consumerGroupId: g",
        "  topics:",
        "    - topic: a",
        "      valueType: example/V",
        "      targets: &targets [example/x, example/y]",
        "    - topic: b",
        "      valueType: example/V",
        "      targets: *targets",
      ),
    );
    const [ingress] = config.components;
    assert.ok(ingress?.kind === "io.statefun.kafka.v1/ingress");
    assert.deepEqual(ingress.spec.topics[1]?.targets, ["example/x", "example/y"]);
  });
});

describe("loadModuleFile", () => {
  test("reads the file and resolves paths against its directory", async () => {
    const path = join(fixtures, "embedded", "module.yaml");
    const config = await loadModuleFile(path);
    assert.equal(config.file, path);
    const kinds = config.components.map((c) => c.kind);
    assert.deepEqual(kinds, ["io.eddy.functions.v1/embedded", "io.eddy.functions.v1/colocated", "io.statefun.endpoints.v2/http"]);
    const [embedded, colocated, endpoint] = config.components;
    assert.ok(embedded?.kind === "io.eddy.functions.v1/embedded");
    assert.equal(embedded.spec.module, join(fixtures, "embedded", "functions", "greeter.ts"));
    assert.ok(colocated?.kind === "io.eddy.functions.v1/colocated");
    assert.equal(colocated.spec.cwd, join(fixtures, "python"));
    assert.ok(endpoint?.kind === "io.statefun.endpoints.v2/http" && endpoint.spec.transport.type === "async");
    assert.equal(endpoint.spec.transport.tls.trustCaCerts, join(fixtures, "embedded", "tls", "ca.pem"));
  });

  test("problems name the file as it was given", async () => {
    const path = join(fixtures, "invalid", "module.yaml");
    await assert.rejects(loadModuleFile(path), (error: unknown) => {
      assert.ok(error instanceof ModuleConfigError);
      assert.equal(error.message, `${path}:4:14 spec.functions: "greeter" is not a valid function pattern (use "ns/name" or "ns/*")`);
      return true;
    });
  });

  test("a missing file is the file-system error, not a config error", async () => {
    await assert.rejects(loadModuleFile(join(fixtures, "nope.yaml")), { code: "ENOENT" });
  });

  test("parseModuleYaml resolves against the file name's directory by default", () => {
    const config = parseModuleYaml(
      yaml("kind: io.eddy.functions.v1/embedded", "spec:", "  functions: a/*", "  module: fns.js"),
      "/etc/eddy/module.yaml",
    );
    assert.ok(config.components[0]?.kind === "io.eddy.functions.v1/embedded");
    assert.equal(config.components[0].spec.module, "/etc/eddy/fns.js");
  });
});
