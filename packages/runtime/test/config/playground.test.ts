import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { PLAYGROUND_EGRESS_ID, PLAYGROUND_INGRESS_ID } from "../../src/config/index.js";
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
      spec: { id: PLAYGROUND_INGRESS_ID, port: 8090 },
    });
    assert.deepEqual(egress, {
      kind: "io.statefun.playground.v1/egress",
      location: { file: "module.yaml", line: 10, column: 1 },
      spec: { id: PLAYGROUND_EGRESS_ID, port: 8091, topics: ["greetings"] },
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
