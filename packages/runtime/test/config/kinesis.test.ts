import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseOnly, problemLines, yaml } from "./helpers.js";

describe("io.statefun.kinesis.v1/ingress", () => {
  test("defaults: default region and credentials chains, start at latest", () => {
    const component = parseOnly(
      "io.statefun.kinesis.v1/ingress",
      yaml(
        "kind: io.statefun.kinesis.v1/ingress",
        "spec:",
        "  id: example/kinesis-in",
        "  streams:",
        "    - stream: user-logins",
        "      valueType: example/UserLogin",
        "      targets:",
        "        - example/user",
      ),
    );
    assert.deepEqual(component.spec, {
      id: "example/kinesis-in",
      awsRegion: { type: "default" },
      awsCredentials: { type: "default" },
      startupPosition: { type: "latest" },
      streams: [{ stream: "user-logins", valueType: "example/UserLogin", targets: ["example/user"] }],
      clientConfigProperties: {},
    });
  });

  test("a custom endpoint that is not an http or https URL with a host is refused", () => {
    for (const endpoint of ["localhost:4567", "http:///path", "ftp://kinesis", "http://kinesis:0", "http://kine sis"]) {
      assert.deepEqual(
        problemLines(
          yaml(
            "kind: io.statefun.kinesis.v1/ingress",
            "spec:",
            "  id: example/kinesis-in",
            "  awsRegion:",
            "    type: custom-endpoint",
            `    endpoint: "${endpoint}"`,
            "    id: us-west-1",
            "  streams:",
            "    - stream: s",
            "      valueType: example/V",
            "      targets: [example/a]",
          ),
        ),
        [`module.yaml:6:15 spec.awsRegion.endpoint: "${endpoint}" is not an http or https URL with a host (expected e.g. "http://localhost:4567")`],
      );
    }
  });

  test("every region, credentials and startup variant", () => {
    const component = parseOnly(
      "io.statefun.kinesis.v1/ingress",
      yaml(
        "kind: io.statefun.kinesis.v1/ingress",
        "spec:",
        "  id: example/kinesis-in",
        "  awsRegion:",
        "    type: custom-endpoint",
        "    endpoint: http://localhost:4567",
        "    id: us-west-1",
        "  awsCredentials:",
        "    type: profile",
        "    profileName: dev",
        "    profilePath: /home/me/.aws/credentials",
        "  startupPosition:",
        "    type: date",
        "    date: 2021-03-04 10:00:00.250 +0200",
        "  streams:",
        "    - stream: s",
        "      valueType: example/V",
        "      targets: [example/a, example/b]",
        "  clientConfigProperties:",
        "    - SocketTimeout: 9999",
        "    - MaxConnections: 15",
      ),
    );
    assert.deepEqual(component.spec.awsRegion, { type: "custom-endpoint", endpoint: "http://localhost:4567", id: "us-west-1" });
    assert.deepEqual(component.spec.awsCredentials, { type: "profile", profileName: "dev", profilePath: "/home/me/.aws/credentials" });
    assert.deepEqual(component.spec.startupPosition, { type: "date", epochMillis: Date.UTC(2021, 2, 4, 8, 0, 0, 250) });
    assert.deepEqual(component.spec.clientConfigProperties, { SocketTimeout: "9999", MaxConnections: "15" });
  });

  test("a region or credentials block missing its required keys is rejected", () => {
    assert.deepEqual(
      problemLines(
        yaml(
          "kind: io.statefun.kinesis.v1/ingress",
          "spec:",
          "  id: example/kinesis-in",
          "  awsRegion:",
          "    type: specific",
          "  awsCredentials:",
          "    type: basic",
          "    accessKeyId: AKIA",
          "  startupPosition:",
          "    type: group-offsets",
          "  streams: []",
        ),
      ),
      [
        "module.yaml:4:3 spec.awsRegion.id: is required (the region name, e.g. us-west-1)",
        "module.yaml:6:3 spec.awsCredentials.secretAccessKey: is required",
        'module.yaml:10:11 spec.startupPosition.type: "group-offsets" is not one of latest, earliest, date',
        "module.yaml:11:12 spec.streams: must not be an empty list",
      ],
    );
  });
});

describe("io.statefun.kinesis.v1/egress", () => {
  test("defaults maxOutstandingRecords to 1000", () => {
    const component = parseOnly(
      "io.statefun.kinesis.v1/egress",
      yaml("kind: io.statefun.kinesis.v1/egress", "spec:", "  id: example/kinesis-out", "  awsRegion:", "    type: specific", "    id: eu-west-1"),
    );
    assert.deepEqual(component.spec, {
      id: "example/kinesis-out",
      awsRegion: { type: "specific", id: "eu-west-1" },
      awsCredentials: { type: "default" },
      maxOutstandingRecords: 1000,
      clientConfigProperties: {},
    });
  });

  test("maxOutstandingRecords must be a positive whole number", () => {
    assert.deepEqual(
      problemLines(yaml("kind: io.statefun.kinesis.v1/egress", "spec:", "  id: example/out", "  maxOutstandingRecords: many")),
      ['module.yaml:4:26 spec.maxOutstandingRecords: must be a whole number, not "many"'],
    );
  });
});
