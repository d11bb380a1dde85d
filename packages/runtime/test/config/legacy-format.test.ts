import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parse, problemLines, yaml } from "./helpers.js";

// The StateFun 3.0 single-document layout (LegacyRemoteModuleV30).
const legacyModule = yaml(
  'version: "3.0"',
  "module:",
  "  meta:",
  "    type: remote",
  "  spec:",
  "    endpoints:",
  "      - endpoint:",
  "          meta:",
  "            kind: http",
  "          spec:",
  "            functions: example/*",
  "            urlPathTemplate: http://functions:8000/statefun",
  "            timeouts:",
  "              call: 2 min",
  "    ingresses:",
  "      - ingress:",
  "          meta:",
  "            type: io.statefun.kafka/ingress",
  "            id: example/names",
  "          spec:",
  "            address: kafka:9092",
  "            consumerGroupId: my-group",
  "            topics:",
  "              - topic: names",
  "                valueType: example/Name",
  "                targets: [example/greeter]",
  "    egresses:",
  "      - egress:",
  "          meta:",
  "            type: io.statefun.kafka/egress",
  "            id: example/greets",
  "          spec:",
  "            address: kafka:9092",
  "            deliverySemantic:",
  "              type: exactly-once",
  "              transactionTimeoutMillis: 100000",
);

describe("legacy version 3.0 format", () => {
  test("endpoints, ingresses and egresses become the modern kinds; meta.id becomes the spec id", () => {
    const config = parse(legacyModule);
    assert.deepEqual(
      config.components.map((c) => [c.kind, c.location.line, c.location.column]),
      [
        ["io.statefun.endpoints.v1/http", 7, 9],
        ["io.statefun.kafka.v1/ingress", 16, 9],
        ["io.statefun.kafka.v1/egress", 28, 9],
      ],
    );
    const [endpoint, ingress, egress] = config.components;
    assert.ok(endpoint?.kind === "io.statefun.endpoints.v1/http");
    assert.deepEqual(endpoint.spec.transport, { type: "okhttp", call: 120_000, connect: 10_000, read: 10_000, write: 10_000 });
    assert.ok(ingress?.kind === "io.statefun.kafka.v1/ingress");
    assert.equal(ingress.spec.id, "example/names");
    assert.ok(egress?.kind === "io.statefun.kafka.v1/egress");
    assert.equal(egress.spec.id, "example/greets");
    assert.deepEqual(egress.spec.deliverySemantic, { type: "exactly-once", transactionTimeout: 100_000 });
  });

  test("an unquoted version 3.0 (a YAML number) is accepted too", () => {
    const config = parse(legacyModule.replace('version: "3.0"', "version: 3.0"));
    assert.equal(config.components.length, 3);
  });

  test("versions before 3.0, and unknown ones, are rejected", () => {
    assert.deepEqual(problemLines(legacyModule.replace('version: "3.0"', 'version: "2.0"')), [
      'module.yaml:1:10 version: format version 2.0 is no longer supported; use version "3.0" or, better, {kind, spec} documents (StateFun 3.1+)',
    ]);
    assert.deepEqual(problemLines(legacyModule.replace('version: "3.0"', 'version: "3.1"')), [
      'module.yaml:1:10 version: unknown format version 3.1: the single-document format only exists as version "3.0"; use {kind, spec} documents',
    ]);
  });

  test("the module type must be remote", () => {
    assert.deepEqual(problemLines(legacyModule.replace("type: remote", "type: embedded")), [
      'module.yaml:4:11 module.meta.type: unknown module type "embedded" (only remote is supported)',
    ]);
  });

  test("problems inside legacy entries carry their full path; a missing meta.id points at meta", () => {
    const broken = legacyModule.replace("            id: example/names\n", "").replace("kind: http", "kind: grpc");
    assert.deepEqual(problemLines(broken), [
      'module.yaml:9:19 module.spec.endpoints[0].endpoint.meta.kind: unknown kind "grpc" (known kinds: io.statefun.endpoints.v1/http, io.statefun.endpoints.v2/http, io.statefun.kafka.v1/ingress, io.statefun.kafka.v1/egress, io.statefun.kinesis.v1/ingress, io.statefun.kinesis.v1/egress, io.statefun.playground.v1/ingress, io.statefun.playground.v1/egress, io.eddy.functions.v1/embedded, io.eddy.functions.v1/colocated, io.eddy.runtime.v1/quarantine, io.eddy.runtime.v1/settings)',
      "module.yaml:17:11 module.spec.ingresses[0].ingress.meta.id: is required (the ingress id, e.g. example/names)",
    ]);
  });

  test("endpoints take meta.kind, ingresses meta.type: the mix-up gets a hint", () => {
    const mixedUp = legacyModule.replace("type: io.statefun.kafka/egress", "kind: io.statefun.kafka/egress");
    assert.deepEqual(problemLines(mixedUp), [
      "module.yaml:29:11 module.spec.egresses[0].egress.meta.type: is required (a legacy egress names its kind with meta.type, not meta.kind)",
    ]);
  });
});
