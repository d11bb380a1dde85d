import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { findFunctionBinding } from "../../src/config/index.js";
import { parse, parseOnly, problemLines, yaml } from "./helpers.js";

describe("io.statefun.endpoints.v2/http", () => {
  test("the javascript/greeter endpoint gets the async transport with every default", () => {
    const endpoint = parseOnly(
      "io.statefun.endpoints.v2/http",
      yaml(
        "kind: io.statefun.endpoints.v2/http",
        "spec:",
        "  functions: example/*",
        "  urlPathTemplate: http://functions:8000/statefun",
      ),
    );
    assert.deepEqual(endpoint.spec, {
      functions: { kind: "namespace", text: "example/*", namespace: "example" },
      urlPathTemplate: "http://functions:8000/statefun",
      scheme: "http",
      maxNumBatchRequests: 1000,
      transport: {
        type: "async",
        call: 120_000,
        connect: 20_000,
        poolTtl: 15_000,
        poolSize: 1024,
        payloadMaxBytes: 33_554_432,
        tls: {},
      },
    });
    assert.deepEqual(endpoint.location, { file: "module.yaml", line: 1, column: 1 });
  });

  test("async transport keys override the defaults", () => {
    const endpoint = parseOnly(
      "io.statefun.endpoints.v2/http",
      yaml(
        "kind: io.statefun.endpoints.v2/http",
        "spec:",
        "  functions: java.showcase.fns/user",
        "  urlPathTemplate: https://functions.example.com/{function.name}",
        "  maxNumBatchRequests: 5",
        "  transport:",
        "    type: io.statefun.transports.v1/async",
        "    call: 1day",
        "    connect: 5 s",
        "    pool_ttl: 0",
        "    pool_size: 8",
        "    payload_max_bytes: 1048576",
        "    trust_cacerts: certs/ca.pem",
        "    client_cert: /etc/tls/client.crt",
        "    client_key: file:///etc/tls/client.key",
        "    client_key_password: classpath:password.txt",
      ),
    );
    assert.equal(endpoint.spec.maxNumBatchRequests, 5);
    assert.deepEqual(endpoint.spec.functions, { kind: "function", text: "java.showcase.fns/user", namespace: "java.showcase.fns", name: "user" });
    assert.deepEqual(endpoint.spec.transport, {
      type: "async",
      call: 86_400_000,
      connect: 5000,
      poolTtl: 0,
      poolSize: 8,
      payloadMaxBytes: 1_048_576,
      tls: {
        trustCaCerts: "/srv/app/certs/ca.pem",
        clientCert: "/etc/tls/client.crt",
        clientKey: "/etc/tls/client.key",
        clientKeyPassword: "classpath:password.txt",
      },
    });
  });

  test("a legacy `timeouts` block overrides the flat async keys, with its own defaults", () => {
    const endpoint = parseOnly(
      "io.statefun.endpoints.v2/http",
      yaml(
        "kind: io.statefun.endpoints.v2/http",
        "spec:",
        "  functions: example/*",
        "  urlPathTemplate: http://functions:8000/statefun",
        "  transport:",
        "    call: 5 min",
        "    connect: 1 min",
        "    timeouts:",
        "      connect: 3 s",
        "      read: 1 s",
      ),
    );
    assert.equal(endpoint.spec.transport.type, "async");
    assert.equal(endpoint.spec.transport.call, 60_000, "the timeouts block's call default, not the flat 5 min");
    assert.equal(endpoint.spec.transport.connect, 3000);
  });

  test("the okhttp transport reads its timeouts block", () => {
    const endpoint = parseOnly(
      "io.statefun.endpoints.v2/http",
      yaml(
        "kind: io.statefun.endpoints.v2/http",
        "spec:",
        "  functions: example/*",
        "  urlPathTemplate: http://functions:8000/statefun",
        "  transport:",
        "    type: io.statefun.transports.v1/okhttp",
        "    timeouts:",
        "      call: 2 min",
        "      read: 30 s",
      ),
    );
    assert.deepEqual(endpoint.spec.transport, { type: "okhttp", call: 120_000, connect: 10_000, read: 30_000, write: 10_000 });
  });

  test("okhttp timeouts must be positive and no longer than call, defaults included", () => {
    assert.deepEqual(
      problemLines(
        yaml(
          "kind: io.statefun.endpoints.v2/http",
          "spec:",
          "  functions: example/*",
          "  urlPathTemplate: http://functions:8000/statefun",
          "  transport:",
          "    type: io.statefun.transports.v1/okhttp",
          "    timeouts:",
          "      call: 5 s",
          "      connect: 0",
          "      read: 6 s",
        ),
      ),
      [
        "module.yaml:7:5 spec.transport.timeouts.write: the default 10 s must not be longer than call (5 s)",
        "module.yaml:9:16 spec.transport.timeouts.connect: must be longer than 0 ms (got 0)",
        "module.yaml:10:13 spec.transport.timeouts.read: 6 s must not be longer than call (5 s)",
      ],
    );
  });

  test("client_cert and client_key must be given together", () => {
    assert.deepEqual(
      problemLines(
        yaml(
          "kind: io.statefun.endpoints.v2/http",
          "spec:",
          "  functions: example/*",
          "  urlPathTemplate: https://functions:8443/statefun",
          "  transport:",
          "    client_cert: client.crt",
        ),
      ),
      ["module.yaml:5:3 spec.transport.client_key: is required when client_cert is given (cert and key go together)"],
    );
  });

  test("an unknown transport type is rejected", () => {
    assert.deepEqual(
      problemLines(
        yaml(
          "kind: io.statefun.endpoints.v2/http",
          "spec:",
          "  functions: example/*",
          "  urlPathTemplate: http://functions:8000/statefun",
          "  transport:",
          "    type: io.statefun.transports.v1/grpc",
        ),
      ),
      [
        'module.yaml:6:11 spec.transport.type: "io.statefun.transports.v1/grpc" is not one of io.statefun.transports.v1/async, io.statefun.transports.v1/okhttp',
      ],
    );
  });
});

describe("io.statefun.endpoints.v1/http", () => {
  test("always uses okhttp, with `timeouts` directly under spec", () => {
    const endpoint = parseOnly(
      "io.statefun.endpoints.v1/http",
      yaml(
        "kind: io.statefun.endpoints.v1/http",
        "spec:",
        "  functions: com.foo.bar/*",
        "  urlPathTemplate: https://bar.foo.com:8080/{function.name}",
        "  maxNumBatchRequests: 10000",
        "  timeouts:",
        "    call: 1minute",
        "    connect: 20seconds",
        "    read: 30seconds",
        "    write: 3seconds",
        "  transport:",
        "    type: io.statefun.transports.v1/async",
      ),
    );
    assert.equal(endpoint.spec.maxNumBatchRequests, 10_000);
    assert.deepEqual(endpoint.spec.transport, { type: "okhttp", call: 60_000, connect: 20_000, read: 30_000, write: 3000 });
  });

  test("okhttp defaults apply without a timeouts block", () => {
    const endpoint = parseOnly(
      "io.statefun.endpoints.v1/http",
      yaml("kind: io.statefun.endpoints.v1/http", "spec:", "  functions: a/b", "  urlPathTemplate: http://fn/"),
    );
    assert.deepEqual(endpoint.spec.transport, { type: "okhttp", call: 60_000, connect: 10_000, read: 10_000, write: 10_000 });
  });
});

describe("functions patterns and URLs", () => {
  test("invalid function patterns are rejected with the pattern rule", () => {
    for (const pattern of ["example/**", "*/greeter", "ex*/greeter", "example", "a/b/c", "/greeter", "example/", "example/gr*"]) {
      assert.deepEqual(
        problemLines(
          yaml("kind: io.statefun.endpoints.v2/http", "spec:", `  functions: "${pattern}"`, "  urlPathTemplate: http://fn/"),
        ),
        [`module.yaml:3:14 spec.functions: "${pattern}" is not a valid function pattern (use "ns/name" or "ns/*")`],
        pattern,
      );
    }
  });

  test("the URL must be absolute with a supported scheme", () => {
    const lines = (url: string): string[] =>
      problemLines(yaml("kind: io.statefun.endpoints.v2/http", "spec:", "  functions: a/*", `  urlPathTemplate: ${url}`));
    assert.deepEqual(lines("functions:8000/statefun"), [
      'module.yaml:4:20 spec.urlPathTemplate: "functions:8000/statefun" is not an absolute URL (expected e.g. "http://functions:8000/statefun")',
    ]);
    assert.deepEqual(lines("ftp://functions/statefun"), [
      'module.yaml:4:20 spec.urlPathTemplate: scheme "ftp" is not supported (use http, https, http+unix or https+unix)',
    ]);
    assert.deepEqual(lines("http+unix:///run/functions/statefun"), [
      'module.yaml:4:20 spec.urlPathTemplate: "http+unix:///run/functions/statefun" names no socket file: one path segment must end in ".sock" (e.g. "http+unix:///run/fn.sock/statefun")',
    ]);
  });

  test("a unix-socket URL splits at the first segment ending in .sock", () => {
    const endpoint = parseOnly(
      "io.statefun.endpoints.v2/http",
      yaml(
        "kind: io.statefun.endpoints.v2/http",
        "spec:",
        "  functions: a/*",
        "  urlPathTemplate: https+unix:///var/run/fn.sock/statefun/{function.name}",
      ),
    );
    assert.equal(endpoint.spec.scheme, "https+unix");
    assert.deepEqual(endpoint.spec.unixSocket, { socketPath: "/var/run/fn.sock", pathTemplate: "/statefun/{function.name}" });

    const bare = parseOnly(
      "io.statefun.endpoints.v2/http",
      yaml("kind: io.statefun.endpoints.v2/http", "spec:", "  functions: a/*", "  urlPathTemplate: http+unix:///tmp/x.sock"),
    );
    assert.deepEqual(bare.spec.unixSocket, { socketPath: "/tmp/x.sock", pathTemplate: "/" });
  });
});

describe("bindings across the file", () => {
  const mixed = yaml(
    "kind: io.statefun.endpoints.v1/http",
    "spec:",
    "  functions: example/greeter",
    "  urlPathTemplate: http://special:8000/",
    "---",
    "kind: io.statefun.endpoints.v2/http",
    "spec:",
    "  functions: example/*",
    "  urlPathTemplate: http://functions:8000/statefun",
  );

  test("a multi-document file may mix v1 and v2 endpoints", () => {
    const config = parse(mixed);
    assert.deepEqual(
      config.components.map((c) => [c.kind, c.location.line]),
      [
        ["io.statefun.endpoints.v1/http", 1],
        ["io.statefun.endpoints.v2/http", 6],
      ],
    );
  });

  test("a specific binding wins over its namespace binding, whatever the order", () => {
    const config = parse(mixed);
    assert.equal(findFunctionBinding(config, "example/greeter")?.kind, "io.statefun.endpoints.v1/http");
    assert.equal(findFunctionBinding(config, "example/person")?.kind, "io.statefun.endpoints.v2/http");
    assert.equal(findFunctionBinding(config, "other/person"), undefined);
  });

  test("binding the same key twice is an error at the second binding", () => {
    assert.deepEqual(
      problemLines(
        yaml(
          "kind: io.statefun.endpoints.v2/http",
          "spec:",
          "  functions: example/*",
          "  urlPathTemplate: http://a:8000/",
          "---",
          "kind: io.eddy.functions.v1/embedded",
          "spec:",
          "  functions: example/*",
          "  module: ./functions.ts",
        ),
      ),
      ['module.yaml:8:14 spec.functions: "example/*" is already bound by the io.statefun.endpoints.v2/http at module.yaml:3:14'],
    );
  });
});

describe("validation gaps found by mutating module files", () => {
  test('an http URL with an empty host ("http:///path") is refused, not read as host "path"', () => {
    for (const url of ["http:///path", "https:///statefun", "http://?x"]) {
      assert.deepEqual(
        problemLines(yaml("kind: io.statefun.endpoints.v2/http", "spec:", "  functions: example/*", `  urlPathTemplate: "${url}"`)),
        [`module.yaml:4:20 spec.urlPathTemplate: "${url}" has no host after "${url.split("//")[0]}//" (expected e.g. "http://functions:8000/statefun")`],
      );
    }
  });

  test("a URL with port 0 or with whitespace in it is refused", () => {
    const line = (url: string): string[] =>
      problemLines(yaml("kind: io.statefun.endpoints.v2/http", "spec:", "  functions: example/*", `  urlPathTemplate: "${url}"`));
    assert.deepEqual(line("http://functions:0/statefun"), [
      'module.yaml:4:20 spec.urlPathTemplate: "http://functions:0/statefun" has port 0, which no server listens on (use a port from 1 to 65535)',
    ]);
    assert.deepEqual(line("http://functions:8000/state fun"), [
      'module.yaml:4:20 spec.urlPathTemplate: "http://functions:8000/state fun" contains whitespace (expected e.g. "http://functions:8000/statefun")',
    ]);
  });

  test("a timeout longer than Node.js can set a timer for is refused (it would fire after 1 ms)", () => {
    assert.deepEqual(
      problemLines(
        yaml(
          "kind: io.statefun.endpoints.v2/http",
          "spec:",
          "  functions: example/*",
          "  urlPathTemplate: http://fn/",
          "  transport:",
          "    call: 1000000000000",
          "    connect: 30 d",
        ),
      ),
      [
        "module.yaml:6:11 spec.transport.call: must be at most 2147483647 ms (about 24.8 days, the longest timer Node.js can set; got 1000000000000)",
        'module.yaml:7:14 spec.transport.connect: must be at most 2147483647 ms (about 24.8 days, the longest timer Node.js can set; got "30 d")',
      ],
    );
  });

  test("a function pattern or type name with a stray space, or a type name with *, is refused", () => {
    assert.deepEqual(
      problemLines(yaml("kind: io.statefun.endpoints.v2/http", "spec:", '  functions: "example/* "', "  urlPathTemplate: http://fn/")),
      ['module.yaml:3:14 spec.functions: "example/* " is not a valid function pattern: it contains whitespace'],
    );
    assert.deepEqual(
      problemLines(
        yaml(
          "kind: io.statefun.kafka.v1/ingress",
          "spec:",
          "  id: example/*names",
          "  address: kafka:9092",
          "  consumerGroupId: g",
          "  topics:",
          "    - topic: names",
          '      valueType: " example/Name"',
          "      targets: [example/greeter]",
        ),
      ),
      [
        'module.yaml:3:7 spec.id: "example/*names" is not a valid type name: "*" is only allowed in function patterns ("ns/*")',
        'module.yaml:8:18 spec.topics[0].valueType: " example/Name" is not a valid type name: it contains whitespace',
      ],
    );
  });
});
