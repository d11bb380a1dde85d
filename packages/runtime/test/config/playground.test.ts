import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { HTTP_SERVER_DEFAULTS, PLAYGROUND_EGRESS_ID, PLAYGROUND_INGRESS_ID } from "../../src/config/index.js";
import { parse, problemLines, yaml } from "./helpers.js";

const greeterModule = yaml(
  "kind: io.statefun.endpoints.v2/http",
  "spec:",
  "  functions: example/*",
  "  urlPathTemplate: http://functions:8000/statefun",
  "---",
  "kind: io.statefun.playground.v1/ingress",
  "spec:",
  "  port: 8090",
  "---",
  "kind: io.statefun.playground.v1/egress",
  "spec:",
  "  port: 8091",
  "  topics:",
  "    - greetings",
);

describe("playground ingress and egress", () => {
  test("the javascript/greeter module.yaml", () => {
    const config = parse(greeterModule);
    const [, ingress, egress] = config.components;
    assert.deepEqual(ingress, {
      kind: "io.statefun.playground.v1/ingress",
      location: { file: "module.yaml", line: 6, column: 1 },
      spec: { id: PLAYGROUND_INGRESS_ID, port: 8090, http: { limits: HTTP_SERVER_DEFAULTS, allowedOrigins: [] } },
    });
    assert.deepEqual(egress, {
      kind: "io.statefun.playground.v1/egress",
      location: { file: "module.yaml", line: 10, column: 1 },
      spec: { id: PLAYGROUND_EGRESS_ID, port: 8091, topics: ["greetings"], http: { limits: HTTP_SERVER_DEFAULTS, allowedOrigins: [] } },
    });
    assert.equal(PLAYGROUND_INGRESS_ID, "io.statefun.playground/ingress");
    assert.equal(PLAYGROUND_EGRESS_ID, "io.statefun.playground/egress");
  });

  test("ports must be whole numbers from 1 to 65535 and topics non-empty strings", () => {
    assert.deepEqual(
      problemLines(
        yaml(
          "kind: io.statefun.playground.v1/ingress",
          "spec:",
          "  port: 70000",
          "---",
          "kind: io.statefun.playground.v1/egress",
          "spec:",
          '  port: "8091"',
          "  topics:",
          "    - greetings",
          '    - ""',
          "    - {name: x}",
        ),
      ),
      [
        "module.yaml:3:9 spec.port: must be between 1 and 65535, not 70000",
        'module.yaml:7:9 spec.port: must be a whole number, not "8091"',
        "module.yaml:10:7 spec.topics[1]: must not be empty",
        "module.yaml:11:7 spec.topics[2]: must be a string, not a map",
      ],
    );
  });

  test("HTTP timeouts, sizes and allowed origins are Eddy's own keys", () => {
    const config = parse(
      yaml(
        "kind: io.statefun.playground.v1/ingress",
        "spec:",
        "  port: 8090",
        "  headersTimeout: 2s",
        "  requestTimeout: 5s",
        "  idleTimeout: 1 min",
        "  maxHeaderBytes: 8192",
        "  maxBodyBytes: 1024",
        "  allowedOrigins: [http://localhost:3000, https://app.example.com]",
      ),
    );
    assert.deepEqual(config.components[0]?.spec, {
      id: PLAYGROUND_INGRESS_ID,
      port: 8090,
      http: {
        limits: { headersTimeoutMs: 2000, requestTimeoutMs: 5000, idleTimeoutMs: 60_000, maxHeaderBytes: 8192, maxBodyBytes: 1024 },
        allowedOrigins: ["http://localhost:3000", "https://app.example.com"],
      },
    });
  });

  test("an origin with a path, a non-HTTP origin, and timeouts out of order are rejected", () => {
    assert.deepEqual(
      problemLines(
        yaml(
          "kind: io.statefun.playground.v1/ingress",
          "spec:",
          "  port: 8090",
          "  headersTimeout: 40s",
          "  maxHeaderBytes: 10",
          "  idleTimeout: 0",
          "  allowedOrigins:",
          "    - http://localhost:3000/",
          "    - file:///tmp",
          "    - '*'",
          "---",
          "kind: io.statefun.playground.v1/egress",
          "spec:",
          "  port: 8091",
          "  topics: [t]",
          "  allowedOrigins: http://localhost:3000",
        ),
      ),
      [
        "module.yaml:4:19 spec.headersTimeout: headersTimeout (40000 ms) must not be longer than requestTimeout (30000 ms)",
        "module.yaml:5:19 spec.maxHeaderBytes: must be between 1024 and 1048576, not 10",
        'module.yaml:6:16 spec.idleTimeout: must be longer than 0 ms (got 0)',
        'module.yaml:8:7 spec.allowedOrigins[0]: "http://localhost:3000/" is not an origin (use scheme://host[:port] with no path, e.g. "http://localhost:3000"); its origin is "http://localhost:3000"',
        'module.yaml:9:7 spec.allowedOrigins[1]: "file:///tmp" is not an origin (use scheme://host[:port] with no path, e.g. "http://localhost:3000")',
        'module.yaml:10:7 spec.allowedOrigins[2]: "*" is not an origin (use scheme://host[:port] with no path, e.g. "http://localhost:3000")',
        'module.yaml:16:19 spec.allowedOrigins: must be a list, not "http://localhost:3000"',
      ],
    );
  });

  test("requestReply turns on request/reply: {} takes the default timeout, a timeout is a positive duration", () => {
    const spec = (lines: string[]) => {
      const [ingress] = parse(yaml("kind: io.statefun.playground.v1/ingress", "spec:", "  port: 8090", ...lines)).components;
      assert.equal(ingress?.kind, "io.statefun.playground.v1/ingress");
      return ingress.spec;
    };
    assert.equal(spec([]).requestReply, undefined);
    assert.deepEqual(spec(["  requestReply: {}"]).requestReply, { timeout: 30_000 });
    assert.deepEqual(spec(["  requestReply:", "    timeout: 2s"]).requestReply, { timeout: 2_000 });
    assert.deepEqual(
      problemLines(yaml("kind: io.statefun.playground.v1/ingress", "spec:", "  port: 8090", "  requestReply:", "    timeout: 0")),
      ["module.yaml:5:14 spec.requestReply.timeout: must be longer than 0 ms (got 0)"],
    );
    assert.deepEqual(problemLines(yaml("kind: io.statefun.playground.v1/ingress", "spec:", "  port: 8090", "  requestReply: 5s")), [
      'module.yaml:4:17 spec.requestReply: must be a map of keys to values, not "5s"',
    ]);
  });

  test("two components on one port are rejected at the second", () => {
    assert.deepEqual(
      problemLines(
        yaml(
          "kind: io.statefun.playground.v1/ingress",
          "spec:",
          "  port: 8090",
          "---",
          "kind: io.statefun.playground.v1/egress",
          "spec:",
          "  port: 8090",
          "  topics: [greetings]",
        ),
      ),
      ["module.yaml:7:9 spec.port: port 8090 is already used by the io.statefun.playground.v1/ingress at module.yaml:3:9"],
    );
  });

  test("a second playground ingress is rejected: the id is fixed", () => {
    assert.deepEqual(
      problemLines(
        yaml("kind: io.statefun.playground.v1/ingress", "spec:", "  port: 8090", "---", "kind: io.statefun.playground.v1/ingress", "spec:", "  port: 9090"),
      ),
      [
        'module.yaml:7:9 spec.port: "io.statefun.playground/ingress" is already defined by the io.statefun.playground.v1/ingress at module.yaml:3:9',
      ],
    );
  });
});
