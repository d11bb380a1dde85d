import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  EddyError,
  ERROR_CODES,
  Types,
  address,
  checkStateName,
  checkTypeName,
  defineFunction,
  formatAddress,
  isEddyError,
  isValidTypeName,
  parseTypeName,
  sameAddress,
} from "@eddy/sdk";
import type { ErrorCode, StateDeclarations } from "@eddy/sdk";

function throwsCode(fn: () => unknown, code: ErrorCode): void {
  assert.throws(fn, (e: unknown) => isEddyError(e, code), `expected ${code}`);
}

describe("type names: namespace/name with exactly one slash", () => {
  it("parses a valid name into its parts", () => {
    assert.deepEqual(parseTypeName("apache/greeter"), { namespace: "apache", name: "greeter" });
    assert.deepEqual(parseTypeName("io.statefun.types/int"), { namespace: "io.statefun.types", name: "int" });
    assert.equal(checkTypeName("a/b"), "a/b");
    assert.equal(isValidTypeName("a/b"), true);
  });

  for (const bad of ["", "greeter", "/greeter", "apache/", "/", "a/b/c", "a//b", "type.googleapis.com/a/b"]) {
    it(`rejects ${JSON.stringify(bad)}`, () => {
      assert.equal(isValidTypeName(bad), false);
      throwsCode(() => parseTypeName(bad), "EDDY_INVALID_TYPENAME");
      throwsCode(() => checkTypeName(bad), "EDDY_INVALID_TYPENAME");
    });
  }

  it("explains the rule in the error message", () => {
    assert.throws(() => parseTypeName("a/b/c"), /exactly one "\/" and both parts non-empty/);
  });
});

describe("addresses", () => {
  it("are built from a valid function type and a string id (which may contain slashes)", () => {
    const a = address("apache/greeter", "Bob/Smith");
    assert.deepEqual(a, { type: "apache/greeter", id: "Bob/Smith" });
    assert.equal(formatAddress(a), "apache/greeter/Bob/Smith");
  });

  it("reject invalid function types and non-string ids", () => {
    throwsCode(() => address("greeter", "Bob"), "EDDY_INVALID_TYPENAME");
    throwsCode(() => address("apache/greeter", 7 as unknown as string), "EDDY_INVALID_ADDRESS");
  });

  it("compare by type and id; undefined equals only undefined", () => {
    assert.equal(sameAddress(address("a/b", "1"), { type: "a/b", id: "1" }), true);
    assert.equal(sameAddress(address("a/b", "1"), address("a/b", "2")), false);
    assert.equal(sameAddress(address("a/b", "1"), address("a/c", "1")), false);
    assert.equal(sameAddress(undefined, undefined), true);
    assert.equal(sameAddress(undefined, address("a/b", "1")), false);
  });
});

describe("state names (the Go/Java SDK rule)", () => {
  for (const ok of ["seen_count", "_x", "A1", "x", "camelCase9"]) {
    it(`accepts ${ok}`, () => assert.equal(checkStateName(ok), ok));
  }
  for (const bad of ["", "1abc", "a-b", "a b", "é", "a.b"]) {
    it(`rejects ${JSON.stringify(bad)}`, () => throwsCode(() => checkStateName(bad), "EDDY_INVALID_STATE_NAME"));
  }

  it("are checked by defineFunction", () => {
    throwsCode(
      () => defineFunction({ typename: "a/b", state: { "bad-name": Types.int }, fn() {} }),
      "EDDY_INVALID_STATE_NAME",
    );
  });
});

describe("state TTL normalization", () => {
  const specsOf = (state: StateDeclarations) => defineFunction({ typename: "ex/ttl", state, fn() {} }).stateSpecs;

  it("a bare type has no TTL", () => {
    assert.deepEqual(specsOf({ v: Types.int }), [
      { name: "v", typename: "io.statefun.types/int", expireMode: "none", expireAfterMs: 0 },
    ]);
  });

  it("expireAfterWrite becomes after-write", () => {
    assert.deepEqual(specsOf({ v: { type: Types.string, expireAfterWrite: 60_000 } }), [
      { name: "v", typename: "io.statefun.types/string", expireMode: "after-write", expireAfterMs: 60_000 },
    ]);
  });

  it("expireAfterCall becomes after-invoke", () => {
    assert.deepEqual(specsOf({ v: { type: Types.long, expireAfterCall: 1500 } }), [
      { name: "v", typename: "io.statefun.types/long", expireMode: "after-invoke", expireAfterMs: 1500 },
    ]);
  });

  it("a TTL of 0 means no expiry", () => {
    assert.deepEqual(specsOf({ v: { type: Types.int, expireAfterWrite: 0 } })[0], {
      name: "v",
      typename: "io.statefun.types/int",
      expireMode: "none",
      expireAfterMs: 0,
    });
  });

  it("keeps declaration order across several states", () => {
    const names = specsOf({ b: Types.int, a: { type: Types.int, expireAfterCall: 5 }, c: Types.bool }).map((s) => s.name);
    assert.deepEqual(names, ["b", "a", "c"]);
  });

  it("rejects both expireAfterWrite and expireAfterCall", () => {
    assert.throws(
      () => specsOf({ v: { type: Types.int, expireAfterWrite: 10, expireAfterCall: 10 } }),
      (e: unknown) => e instanceof EddyError && /choose one/.test(e.message),
    );
  });

  it("rejects negative and non-finite TTLs", () => {
    assert.throws(() => specsOf({ v: { type: Types.int, expireAfterWrite: -1 } }), EddyError);
    assert.throws(() => specsOf({ v: { type: Types.int, expireAfterCall: Number.NaN } }), EddyError);
    assert.throws(() => specsOf({ v: { type: Types.int, expireAfterCall: Number.POSITIVE_INFINITY } }), EddyError);
  });
});

describe("errors", () => {
  it("carry a stable code, a retryable flag and an optional cause", () => {
    const cause = new Error("root");
    const e = new EddyError("EDDY_REMOTE_CALL_FAILED", "boom", { retryable: true, cause });
    assert.equal(e.code, "EDDY_REMOTE_CALL_FAILED");
    assert.equal(e.retryable, true);
    assert.equal(e.cause, cause);
    assert.equal(e.name, "EddyError");
    assert.equal(new EddyError("EDDY_CONFIG_INVALID", "x").retryable, false);
    assert.equal(isEddyError(e), true);
    assert.equal(isEddyError(e, "EDDY_CONFIG_INVALID"), false);
    assert.equal(isEddyError(new Error("x")), false);
    assert.equal(new Set(ERROR_CODES).size, ERROR_CODES.length);
  });
});
