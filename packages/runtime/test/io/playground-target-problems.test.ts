import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { defineFunction } from "@eddy/sdk";
import type { AcceptedType } from "@eddy/sdk";
import { PlaygroundIngress, Runtime, silentLogger } from "@eddy/runtime";

// Regression: the playground ingress chose 404 or 400 by the problem's text (it started with "no
// function is bound"), so a function's own decode error worded that way answered 404. The status
// now comes from the problem's code.
describe("playground ingress: the status of a refused message comes from the problem's code", { timeout: 30_000 }, () => {
  const OrderType: AcceptedType = {
    typename: "shop/Order",
    deserialize(bytes) {
      const text = Buffer.from(bytes).toString("utf8");
      if (!text.startsWith("order:")) throw new Error("no function is bound to an order without an id");
      return text;
    },
  };
  const runtime = new Runtime({ logger: silentLogger() });
  const ingress = new PlaygroundIngress({ port: 0 });
  let base = "";

  before(async () => {
    runtime.bindFunction(defineFunction({ typename: "shop/orders", accepts: [OrderType], fn() {} }));
    runtime.bindIngress(ingress);
    await runtime.start();
    base = `http://127.0.0.1:${ingress.port}`;
  });
  after(() => runtime.stop());

  const put = (path: string, type: string, body: string) =>
    fetch(`${base}${path}`, { method: "PUT", headers: { "Content-Type": `application/vnd.${type}` }, body });

  it("a value the function's type refuses is a 400 with the function's reason, whatever its words", async () => {
    const res = await put("/shop/orders/o1", "shop/Order", "not an order");
    assert.equal(res.status, 400);
    assert.equal(await res.text(), "shop/orders/o1: no function is bound to an order without an id\n");
  });

  it("a type the function does not accept is a 400 naming what it accepts", async () => {
    const res = await put("/shop/orders/o1", "shop/Refund", "order:1");
    assert.equal(res.status, 400);
    assert.equal(await res.text(), "shop/orders/o1: shop/orders accepts shop/Order, not shop/Refund\n");
  });

  it("a function type nobody binds is a 404", async () => {
    const res = await put("/shop/nobody/o1", "shop/Order", "order:1");
    assert.equal(res.status, 404);
    assert.equal(await res.text(), "shop/nobody/o1: no function is bound for type shop/nobody\n");
  });

  it("an id over the length limit is a 400", async () => {
    const res = await put(`/shop/orders/${"x".repeat(1025)}`, "shop/Order", "order:1");
    assert.equal(res.status, 400);
    assert.match(await res.text(), /address id of 1025 bytes is longer than the limit of 1024 bytes/);
  });

  it("a value that fits is accepted", async () => {
    assert.equal((await put("/shop/orders/o1", "shop/Order", "order:1")).status, 200);
    await runtime.idle();
  });
});
