import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseOnly, problemLines, yaml } from "./helpers.js";

// helpers.parse resolves relative paths against /srv/app.

describe("io.eddy.functions.v1/embedded", () => {
  test("resolves the module path against the module file's directory", () => {
    const component = parseOnly(
      "io.eddy.functions.v1/embedded",
      yaml("kind: io.eddy.functions.v1/embedded", "spec:", "  functions: example/*", "  module: ./functions/greeter.ts"),
    );
    assert.deepEqual(component.spec, {
      functions: { kind: "namespace", text: "example/*", namespace: "example" },
      module: "/srv/app/functions/greeter.ts",
    });
  });

  test("takes an optional export name", () => {
    const component = parseOnly(
      "io.eddy.functions.v1/embedded",
      yaml("kind: io.eddy.functions.v1/embedded", "spec:", "  functions: example/greeter", "  module: /opt/fns/index.mjs", "  export: greeter"),
    );
    assert.equal(component.spec.module, "/opt/fns/index.mjs");
    assert.equal(component.spec.export, "greeter");
  });

  test("the module must be a JavaScript or TypeScript file and is required", () => {
    assert.deepEqual(
      problemLines(
        yaml(
          "kind: io.eddy.functions.v1/embedded",
          "spec:",
          "  functions: example/*",
          "  module: ./greeter.py",
          "---",
          "kind: io.eddy.functions.v1/embedded",
          "spec:",
          "  functions: other/*",
        ),
      ),
      [
        'module.yaml:4:11 spec.module: "./greeter.py" is not a JavaScript or TypeScript module (use .ts, .mts, .js, .mjs, .cjs)',
        'module.yaml:7:1 spec.module: is required (a .ts or .js file, e.g. "./functions.ts")',
      ],
    );
  });
});

describe("io.eddy.functions.v1/colocated", () => {
  test("applies every default", () => {
    const component = parseOnly(
      "io.eddy.functions.v1/colocated",
      yaml("kind: io.eddy.functions.v1/colocated", "spec:", "  functions: example/*", "  command: [python3, functions.py]"),
    );
    assert.deepEqual(component.spec, {
      functions: { kind: "namespace", text: "example/*", namespace: "example" },
      command: ["python3", "functions.py"],
      env: {},
      cwd: "/srv/app",
      transport: "unix",
      urlPathTemplate: "/",
      readiness: { timeout: 10_000 },
      restart: { minBackoff: 100, maxBackoff: 30_000 },
      maxNumBatchRequests: 1000,
      call: 120_000,
    });
  });

  test("every key set", () => {
    const component = parseOnly(
      "io.eddy.functions.v1/colocated",
      yaml(
        "kind: io.eddy.functions.v1/colocated",
        "spec:",
        "  functions: example/greeter",
        "  command:",
        "    - node",
        "    - server.js",
        "  env:",
        "    LOG_LEVEL: debug",
        "    WORKERS: 4",
        "  cwd: ../functions",
        "  transport: tcp",
        "  urlPathTemplate: /statefun/{function.name}",
        "  readiness:",
        "    timeout: 30 s",
        "  restart:",
        "    minBackoff: 1 s",
        "    maxBackoff: 1 min",
        "  maxNumBatchRequests: 50",
        "  call: 10 s",
      ),
    );
    assert.deepEqual(component.spec, {
      functions: { kind: "function", text: "example/greeter", namespace: "example", name: "greeter" },
      command: ["node", "server.js"],
      env: { LOG_LEVEL: "debug", WORKERS: "4" },
      cwd: "/srv/functions",
      transport: "tcp",
      urlPathTemplate: "/statefun/{function.name}",
      readiness: { timeout: 30_000 },
      restart: { minBackoff: 1000, maxBackoff: 60_000 },
      maxNumBatchRequests: 50,
      call: 10_000,
    });
  });

  test("rules: non-empty command, path-only template, known transport, minBackoff ≤ maxBackoff", () => {
    assert.deepEqual(
      problemLines(
        yaml(
          "kind: io.eddy.functions.v1/colocated",
          "spec:",
          "  functions: example/*",
          "  command: []",
          "  transport: pipe",
          "  urlPathTemplate: http://localhost:8000/",
          "  restart:",
          "    minBackoff: 10 s",
          "    maxBackoff: 1 s",
        ),
      ),
      [
        "module.yaml:4:12 spec.command: must not be an empty list",
        'module.yaml:5:14 spec.transport: "pipe" is not one of unix, tcp',
        'module.yaml:6:20 spec.urlPathTemplate: "http://localhost:8000/" must be a path starting with "/" (the runtime picks the address)',
        "module.yaml:9:17 spec.restart.maxBackoff: minBackoff must not be longer than maxBackoff",
      ],
    );
  });
});

describe("io.eddy.runtime.v1/settings", () => {
  test("defaults and overrides", () => {
    const defaults = parseOnly("io.eddy.runtime.v1/settings", yaml("kind: io.eddy.runtime.v1/settings", "spec: {}"));
    assert.deepEqual(defaults.spec, { partitions: 8, maxPendingMessages: 65_536, maxPendingEgressRecords: 65_536 });
    const custom = parseOnly(
      "io.eddy.runtime.v1/settings",
      yaml("kind: io.eddy.runtime.v1/settings", "spec:", "  partitions: 32", "  maxPendingMessages: 1000", "  maxPendingEgressRecords: 500"),
    );
    assert.deepEqual(custom.spec, { partitions: 32, maxPendingMessages: 1000, maxPendingEgressRecords: 500 });
  });

  test("partitions must be at least 1 and settings may appear only once", () => {
    assert.deepEqual(
      problemLines(
        yaml("kind: io.eddy.runtime.v1/settings", "spec:", "  partitions: 0", "---", "kind: io.eddy.runtime.v1/settings", "spec:", "  partitions: 4"),
      ),
      [
        "module.yaml:3:15 spec.partitions: must be at least 1, not 0",
        "module.yaml:7:3 spec: only one settings document is allowed; already given by the io.eddy.runtime.v1/settings at module.yaml:3:3",
      ],
    );
  });
});

describe("io.eddy.runtime.v1/quarantine", () => {
  test("takes a function pattern and the attempts before parking", () => {
    const component = parseOnly(
      "io.eddy.runtime.v1/quarantine",
      yaml("kind: io.eddy.runtime.v1/quarantine", "spec:", "  functions: shop/payments", "  afterAttempts: 3"),
    );
    assert.deepEqual(component.spec, { functions: { kind: "function", text: "shop/payments", namespace: "shop", name: "payments" }, afterAttempts: 3 });
  });

  test("afterAttempts is required and at least 1; a pattern gets one limit", () => {
    assert.deepEqual(
      problemLines(
        yaml(
          "kind: io.eddy.runtime.v1/quarantine",
          "spec:",
          "  functions: shop/*",
          "  afterAttempts: 0",
          "---",
          "kind: io.eddy.runtime.v1/quarantine",
          "spec:",
          "  functions: shop/*",
          "  afterAttempts: 2",
          "---",
          "kind: io.eddy.runtime.v1/quarantine",
          "spec:",
          "  functions: shop/cart",
        ),
      ),
      [
        "module.yaml:4:18 spec.afterAttempts: must be at least 1, not 0",
        'module.yaml:8:14 spec.functions: "shop/*" already has a quarantine limit, set by the io.eddy.runtime.v1/quarantine at module.yaml:3:14',
        "module.yaml:12:1 spec.afterAttempts: afterAttempts is required: failed attempts before a message is parked, e.g. 5",
      ],
    );
  });
});
