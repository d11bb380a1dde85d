import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseOnly, problemLines, yaml } from "./helpers.js";

/** A Kafka ingress with the given extra spec lines (indented under spec). */
function ingress(...specLines: string[]): string {
  return yaml(
    "kind: io.statefun.kafka.v1/ingress",
    "spec:",
    "  id: java.showcase.io/user-logins",
    "  address: kafka:9092",
    "  consumerGroupId: my-group-id",
    "  topics:",
    "    - topic: user-logins",
    "      valueType: java.showcase.types/userlogin",
    "      targets:",
    "        - java.showcase.fns/user",
    ...specLines,
  );
}

describe("io.statefun.kafka.v1/ingress", () => {
  test("parses topics and applies the code defaults (latest, latest, no properties)", () => {
    const component = parseOnly("io.statefun.kafka.v1/ingress", ingress());
    assert.deepEqual(component.spec, {
      id: "java.showcase.io/user-logins",
      address: "kafka:9092",
      consumerGroupId: "my-group-id",
      topics: [{ topic: "user-logins", valueType: "java.showcase.types/userlogin", targets: ["java.showcase.fns/user"] }],
      startupPosition: { type: "latest" },
      autoOffsetResetPosition: "latest",
      properties: {},
    });
  });

  test("properties are a list of single-key maps, values stringified", () => {
    const component = parseOnly(
      "io.statefun.kafka.v1/ingress",
      ingress("  properties:", "    - max.poll.records: 500", "    - enable.auto.commit: false", "    - client.id: eddy"),
    );
    assert.deepEqual(component.spec.properties, { "max.poll.records": "500", "enable.auto.commit": "false", "client.id": "eddy" });
  });

  test("bootstrap.servers and group.id in properties stand in for address and consumerGroupId", () => {
    const component = parseOnly(
      "io.statefun.kafka.v1/ingress",
      yaml(
        "kind: io.statefun.kafka.v1/ingress",
        "spec:",
        "  id: example/in",
        "  topics:",
        "    - topic: names",
        "      valueType: example/MyMessage",
        "      targets: [example/hello]",
        "  properties:",
        "    - bootstrap.servers: redpanda:29092",
        "    - group.id: from-properties",
      ),
    );
    assert.equal(component.spec.address, "redpanda:29092");
    assert.equal(component.spec.consumerGroupId, "from-properties");
  });

  test("without address or consumer group (in either form) the ingress is rejected", () => {
    assert.deepEqual(
      problemLines(
        yaml(
          "kind: io.statefun.kafka.v1/ingress",
          "spec:",
          "  id: example/in",
          "  topics:",
          "    - topic: names",
          "      valueType: example/MyMessage",
          "      targets: [example/hello]",
        ),
      ),
      [
        "module.yaml:2:1 spec.address: is required (or set bootstrap.servers in properties)",
        "module.yaml:2:1 spec.consumerGroupId: is required (or set group.id in properties)",
      ],
    );
  });

  test("each startupPosition variant", () => {
    const position = (...lines: string[]) =>
      parseOnly("io.statefun.kafka.v1/ingress", ingress("  startupPosition:", ...lines)).spec.startupPosition;

    assert.deepEqual(position("    type: group-offsets"), { type: "group-offsets" });
    assert.deepEqual(position("    type: earliest"), { type: "earliest" });
    assert.deepEqual(position("    type: LATEST"), { type: "latest" });
    assert.deepEqual(position("    type: specific-offsets", "    offsets:", '      - "user-logins/0": 91', '      - "user-logins/1": 11'), {
      type: "specific-offsets",
      offsets: [
        { topic: "user-logins", partition: 0, offset: 91 },
        { topic: "user-logins", partition: 1, offset: 11 },
      ],
    });
    assert.deepEqual(position("    type: date", "    date: 2020-02-01 04:15:00.000 -0100"), {
      type: "date",
      epochMillis: Date.UTC(2020, 1, 1, 5, 15, 0, 0),
    });
  });

  test("bad startup positions are pinned to the offending node", () => {
    assert.deepEqual(
      problemLines(
        ingress(
          "  startupPosition:",
          "    type: specific-offsets",
          "    offsets:",
          '      - "user-logins": 91',
          '      - "user-logins/1": -1',
        ),
      ),
      [
        'module.yaml:14:24 spec.startupPosition.offsets[0].user-logins: "user-logins" is not a "topic/partition" key (e.g. "user-logins/0")',
        "module.yaml:15:26 spec.startupPosition.offsets[1].user-logins/1: must be at least 0, not -1",
      ],
    );
    assert.deepEqual(problemLines(ingress("  startupPosition:", "    type: date", "    date: 2020-02-30 04:15:00.000 +0000")), [
      'module.yaml:13:11 spec.startupPosition.date: "2020-02-30 04:15:00.000 +0000" does not match the pattern yyyy-MM-dd HH:mm:ss.SSS Z (e.g. "2020-02-01 04:15:00.000 +0000")',
    ]);
    assert.deepEqual(problemLines(ingress("  startupPosition:", "    type: from-the-start")), [
      'module.yaml:12:11 spec.startupPosition.type: "from-the-start" is not one of group-offsets, earliest, latest, specific-offsets, date',
    ]);
  });

  test("autoOffsetResetPosition is case-insensitive", () => {
    const component = parseOnly("io.statefun.kafka.v1/ingress", ingress("  autoOffsetResetPosition: EARLIEST"));
    assert.equal(component.spec.autoOffsetResetPosition, "earliest");
    assert.deepEqual(problemLines(ingress("  autoOffsetResetPosition: none")), [
      'module.yaml:11:28 spec.autoOffsetResetPosition: "none" is not one of earliest, latest',
    ]);
  });

  test("topics must be a non-empty list of {topic, valueType, targets} with type names", () => {
    assert.deepEqual(
      problemLines(
        yaml(
          "kind: io.statefun.kafka.v1/ingress",
          "spec:",
          "  id: example/in",
          "  address: kafka:9092",
          "  consumerGroupId: g",
          "  topics:",
          "    - topic: names",
          "      valueType: MyMessage",
          "      targets:",
          "        - example/hello",
          "        - hello",
        ),
      ),
      [
        'module.yaml:8:18 spec.topics[0].valueType: "MyMessage" is not a valid type name (use "namespace/name")',
        'module.yaml:11:11 spec.topics[0].targets[1]: "hello" is not a valid type name (use "namespace/name")',
      ],
    );
    assert.deepEqual(
      problemLines(yaml("kind: io.statefun.kafka.v1/ingress", "spec:", "  id: example/in", "  address: k:9092", "  consumerGroupId: g", "  topics: []")),
      ["module.yaml:6:11 spec.topics: must not be an empty list"],
    );
  });

  test("a topic name Kafka would refuse is refused when the file is read, in topics and in specific offsets", () => {
    const file = (topic: string, offsetKey = "user-logins/0"): string =>
      yaml(
        "kind: io.statefun.kafka.v1/ingress",
        "spec:",
        "  id: example/in",
        "  address: kafka:9092",
        "  consumerGroupId: g",
        "  topics:",
        `    - topic: "${topic}"`,
        "      valueType: example/MyMessage",
        "      targets: [example/hello]",
        "  startupPosition:",
        "    type: specific-offsets",
        "    offsets:",
        `      - "${offsetKey}": 3`,
      );
    assert.equal(parseOnly("io.statefun.kafka.v1/ingress", file("user.logins_v2-eu")).spec.topics[0]?.topic, "user.logins_v2-eu");
    assert.deepEqual(problemLines(file("user logins")), [
      'module.yaml:7:14 spec.topics[0].topic: "user logins" is not a topic name: Kafka allows only ASCII letters, digits, ".", "_" and "-"',
    ]);
    assert.deepEqual(problemLines(file("..")), ['module.yaml:7:14 spec.topics[0].topic: ".." is not a topic name (Kafka refuses "." and "..")']);
    assert.deepEqual(problemLines(file("t".repeat(250))), [
      `module.yaml:7:14 spec.topics[0].topic: the topic name "${"t".repeat(40)}…" is 250 characters long; Kafka allows at most 249`,
    ]);
    assert.deepEqual(problemLines(file("names", "user:logins/0")), [
      'module.yaml:13:26 spec.startupPosition.offsets[0].user:logins/0: "user:logins" is not a topic name: Kafka allows only ASCII letters, digits, ".", "_" and "-"',
    ]);
  });

  test("an address that is not a list of host:port is refused when the file is read, not on connect", () => {
    const file = (address: string): string => yaml("kind: io.statefun.kafka.v1/egress", "spec:", "  id: example/out", `  address: "${address}"`);
    const problems = (address: string): string[] => problemLines(file(address));
    assert.equal(parseOnly("io.statefun.kafka.v1/egress", file("kafka-1:9092, kafka-2:9092,[::1]:9093")).spec.address, "kafka-1:9092, kafka-2:9092,[::1]:9093");
    assert.deepEqual(problems("http://kafka:9092"), [
      'module.yaml:4:12 spec.address: "http://kafka:9092" is not a broker address (expected host:port with a port from 1 to 65535, e.g. "kafka:9092")',
    ]);
    assert.deepEqual(problems("kafka:9092,kafka-2:99999"), [
      'module.yaml:4:12 spec.address: "kafka-2:99999" is not a broker address (expected host:port with a port from 1 to 65535, e.g. "kafka:9092")',
    ]);
    assert.deepEqual(problems(" , "), ['module.yaml:4:12 spec.address: names no broker (expected host:port, e.g. "kafka:9092")']);
  });
});

describe("io.statefun.kafka.v1/egress", () => {
  const egress = (...semanticLines: string[]) =>
    yaml("kind: io.statefun.kafka.v1/egress", "spec:", "  id: example/output-messages", "  address: kafka:9092", ...semanticLines);

  test("defaults to at-least-once", () => {
    const component = parseOnly("io.statefun.kafka.v1/egress", egress());
    assert.deepEqual(component.spec, {
      id: "example/output-messages",
      address: "kafka:9092",
      deliverySemantic: { type: "at-least-once" },
      properties: {},
    });
  });

  test("exactly-once takes a transactionTimeout duration", () => {
    const component = parseOnly(
      "io.statefun.kafka.v1/egress",
      egress("  deliverySemantic:", "    type: exactly-once", "    transactionTimeout: 15min", "  properties:", "    - transaction.max.timeout.ms: 900000"),
    );
    assert.deepEqual(component.spec.deliverySemantic, { type: "exactly-once", transactionTimeout: 900_000 });
    assert.deepEqual(component.spec.properties, { "transaction.max.timeout.ms": "900000" });
  });

  test("the deprecated transactionTimeoutMillis wins over transactionTimeout", () => {
    const component = parseOnly(
      "io.statefun.kafka.v1/egress",
      egress("  deliverySemantic:", "    type: exactly-once", "    transactionTimeout: 15min", "    transactionTimeoutMillis: 100000"),
    );
    assert.deepEqual(component.spec.deliverySemantic, { type: "exactly-once", transactionTimeout: 100_000 });
  });

  test("transactionTimeoutMillis must be a plain number, not a duration", () => {
    assert.deepEqual(
      problemLines(egress("  deliverySemantic:", "    type: exactly-once", "    transactionTimeoutMillis: 15min")),
      [
        'module.yaml:7:31 spec.deliverySemantic.transactionTimeoutMillis: must be a plain number of milliseconds above 0, not "15min" (use transactionTimeout for durations like "15 min")',
      ],
    );
  });

  test("exactly-once without any timeout is rejected; none needs none", () => {
    assert.deepEqual(problemLines(egress("  deliverySemantic:", "    type: exactly-once")), [
      `module.yaml:5:3 spec.deliverySemantic.transactionTimeout: is required for exactly-once (e.g. "15 min"; it becomes the producer's transaction.timeout.ms)`,
    ]);
    const none = parseOnly("io.statefun.kafka.v1/egress", egress("  deliverySemantic:", "    type: none"));
    assert.deepEqual(none.spec.deliverySemantic, { type: "none" });
  });
});
