import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { address, defineFunction, Types } from "@eddy/sdk";
import { createRuntimeAdmin, QuarantinePolicy, Runtime, silentLogger } from "@eddy/runtime";
import { str, until } from "../runtime/helpers.js";
import { spawnEddy } from "../support/eddy-process.js";

async function eddy(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = spawnEddy(args);
  const code = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

describe("eddy inspect / addresses / quarantine against a running runtime's admin API", () => {
  it("lists, inspects, retries, and says when an address is not parked", async () => {
    let broken = true;
    const runtime = new Runtime({ logger: silentLogger(), quarantine: new QuarantinePolicy(1) });
    runtime.bindFunction(
      defineFunction({
        typename: "shop/cart",
        state: { items: Types.int },
        fn(ctx) {
          if (broken && ctx.self.id === "bad") throw new Error("cart service down");
          ctx.storage.items = (ctx.storage.items ?? 0) + 1;
        },
      }),
    );
    const admin = createRuntimeAdmin(runtime, { port: 0, logger: silentLogger() });
    await admin.start();
    await runtime.start();
    try {
      await runtime.send(address("shop/cart", "good"), str("x"));
      await runtime.send(address("shop/cart", "bad"), str("x"));
      await until(() => runtime.quarantined().length === 1, "parked");
      const flags = ["--admin", admin.url];

      const list = await eddy(["quarantine", "list", ...flags]);
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, /^shop\/cart\/bad {2}1 attempt\(s\), 0 waiting/m);
      assert.match(list.stdout, /EDDY_FUNCTION_FAILED: cart service down/);

      const inspect = await eddy(["inspect", "shop/cart/good", ...flags]);
      assert.equal(inspect.code, 0, inspect.stderr);
      assert.match(inspect.stdout, /state items = 1 \(io\.statefun\.types\/int\)/);
      const json = await eddy(["inspect", "shop/cart/good", "--json", ...flags]);
      assert.equal((JSON.parse(json.stdout) as { state: { items: { value: number } } }).state.items.value, 1);

      const addresses = await eddy(["addresses", "--function", "shop/cart", ...flags]);
      assert.equal(addresses.stdout, "shop/cart/good\n");

      broken = false;
      const retried = await eddy(["quarantine", "retry", "shop/cart/bad", ...flags]);
      assert.equal(retried.stdout, "shop/cart/bad: retried\n");
      await runtime.idle();
      const again = await eddy(["quarantine", "retry", "shop/cart/bad", ...flags]);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /shop\/cart\/bad is not parked/);
      const bad = await eddy(["inspect", "nonsense", ...flags]);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /"nonsense" is not an address; use namespace\/type\/id/);
    } finally {
      await runtime.stop();
      await admin.stop();
    }
  });
});
