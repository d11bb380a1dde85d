import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { defineFunction, Types } from "@eddy/sdk";
import { PlaygroundIngress, Runtime, silentLogger } from "@eddy/runtime";

// Regression: a function that declares no `accepts` got every body with 200, so
// bytes that do not decode as the type the request declared were accepted and
// the address retried them forever.
describe("the playground ingress and a function without accepts", { timeout: 30_000 }, () => {
  const runtime = new Runtime({ logger: silentLogger() });
  const ingress = new PlaygroundIngress({ port: 0 });
  const seen: string[] = [];
  let url = "";

  before(async () => {
    runtime.bindFunction(
      defineFunction({
        typename: "test/adder",
        fn(_ctx, message) {
          seen.push(message.isInt() ? `int ${message.asInt()}` : `raw ${Buffer.from(message.rawValue).toString("utf8")}`);
        },
      }),
    );
    runtime.bindIngress(ingress);
    await runtime.start();
    url = `http://127.0.0.1:${ingress.port}/test/adder/a`;
  });
  after(() => runtime.stop());

  it("answers 400 naming the type for bytes that do not decode as the declared built-in type", async () => {
    const res = await fetch(url, { method: "PUT", headers: { "Content-Type": "application/vnd.io.statefun.types/int" }, body: "12" });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /test\/adder\/a: the body does not decode as io\.statefun\.types\/int: cannot decode io\.statefun\.types\/int/);
    await runtime.idle();
    assert.equal(runtime.pendingMessages, 0);
    assert.deepEqual(seen, []);
  });

  it("accepts the declared built-in type in its StateFun encoding", async () => {
    const res = await fetch(url, {
      method: "PUT",
      headers: { "Content-Type": "application/vnd.io.statefun.types/int" },
      body: Types.int.serialize(42),
    });
    assert.equal(res.status, 200);
    await runtime.idle();
    assert.deepEqual(seen, ["int 42"]);
  });

  it("still passes the raw bytes of a type of the user's own", async () => {
    const res = await fetch(url, { method: "PUT", headers: { "Content-Type": "application/vnd.test/Text" }, body: "hello" });
    assert.equal(res.status, 200);
    await runtime.idle();
    assert.deepEqual(seen, ["int 42", "raw hello"]);
  });
});
