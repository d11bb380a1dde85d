import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { functionUrl, parseEndpointUrl } from "../../src/remote/endpoint-url.js";
import { backoffMs, isRetryable } from "../../src/remote/retry-rules.js";

describe("functionUrl", () => {
  it("replaces {function.name} with the name part of the type", () => {
    assert.equal(functionUrl("http://fns:8000/{function.name}", "com.example/greeter"), "http://fns:8000/greeter");
    assert.equal(functionUrl("http://fns/a/{function.name}/{function.name}", "ns/f"), "http://fns/a/f/f");
  });

  it("leaves a template without the placeholder alone", () => {
    assert.equal(functionUrl("http://fns:8000/statefun", "com.example/greeter"), "http://fns:8000/statefun");
  });

  it("rejects an invalid function type", () => {
    assert.throws(() => functionUrl("http://x/{function.name}", "nope"), { code: "EDDY_INVALID_TYPENAME" });
  });
});

describe("parseEndpointUrl", () => {
  it("splits http(s) URLs into origin and request path, keeping the query", () => {
    assert.deepEqual(parseEndpointUrl("http://fns:8000/statefun?x=1#frag"), {
      url: "http://fns:8000/statefun?x=1#frag",
      origin: "http://fns:8000",
      path: "/statefun?x=1",
      secure: false,
    });
    assert.equal(parseEndpointUrl("https://fns").path, "/");
    assert.equal(parseEndpointUrl("https://fns").secure, true);
  });

  it("ends the socket path at the first segment ending in .sock", () => {
    assert.deepEqual(parseEndpointUrl("http+unix:///run/fns/fn.sock/statefun/greeter?q"), {
      url: "http+unix:///run/fns/fn.sock/statefun/greeter?q",
      origin: "http://localhost",
      path: "/statefun/greeter?q",
      secure: false,
      socketPath: "/run/fns/fn.sock",
    });
    const tls = parseEndpointUrl("https+unix:///a.sock");
    assert.equal(tls.path, "/");
    assert.equal(tls.origin, "https://localhost");
    assert.equal(tls.socketPath, "/a.sock");
  });

  it("rejects unsupported schemes and socket URLs without a .sock segment", () => {
    assert.throws(() => parseEndpointUrl("ftp://x/y"), { code: "EDDY_CONFIG_INVALID" });
    assert.throws(() => parseEndpointUrl("http+unix:///run/fn/statefun"), /\.sock/);
    assert.throws(() => parseEndpointUrl("not a url"), { code: "EDDY_CONFIG_INVALID" });
  });
});

describe("retry rules", () => {
  it("okhttp retries IO errors and 408/409/420/429/499/5xx only", () => {
    const status = (s: number) => isRetryable("okhttp", { kind: "status", status: s, reason: "" });
    for (const s of [408, 409, 420, 429, 499, 500, 502, 503, 504, 599]) assert.equal(status(s), true, String(s));
    for (const s of [400, 401, 403, 404, 415, 422]) assert.equal(status(s), false, String(s));
    assert.equal(isRetryable("okhttp", { kind: "io", reason: "" }), true);
    assert.equal(isRetryable("okhttp", { kind: "content-type", reason: "" }), false);
    assert.equal(isRetryable("okhttp", { kind: "body", reason: "" }), false);
  });

  it("async retries everything except invalid contents and shutdown", () => {
    for (const kind of ["io", "timeout", "content-type", "too-large", "body"] as const) {
      assert.equal(isRetryable("async", { kind, reason: "" }), true, kind);
    }
    assert.equal(isRetryable("async", { kind: "status", status: 404, reason: "" }), true);
    assert.equal(isRetryable("async", { kind: "contents", reason: "" }), false);
    assert.equal(isRetryable("async", { kind: "closed", reason: "" }), false);
  });

  it("backs off 2 ms × 2^attempt (async) or 10 ms doubling (okhttp), capped by the budget", () => {
    assert.deepEqual([1, 2, 3].map((n) => backoffMs("async", n, 10_000)), [4, 8, 16]);
    assert.deepEqual([1, 2, 3].map((n) => backoffMs("okhttp", n, 10_000)), [10, 20, 40]);
    assert.equal(backoffMs("async", 20, 500), 500);
    assert.equal(backoffMs("async", 1, 1), undefined);
    assert.equal(backoffMs("okhttp", 1, 0.5), undefined);
  });
});
