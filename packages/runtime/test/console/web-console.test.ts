import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { defineFunction, Types } from "@eddy/sdk";
import { createRuntimeAdmin, PlaygroundIngress, Runtime, silentLogger } from "@eddy/runtime";
import type { AdminServer } from "@eddy/runtime";
import { launchBrowser } from "../support/browser.js";
import type { Browser } from "../support/browser.js";

/** Where the console's screenshots go, to look at (not compared). */
const SCREENSHOTS = new URL("../../../../test-results/", import.meta.url).pathname;

describe("the web console in a real browser", () => {
  let runtime: Runtime;
  let admin: AdminServer;
  let browser: Browser;
  let ingress: PlaygroundIngress;

  before(async () => {
    runtime = new Runtime({ logger: silentLogger(), partitions: 2 });
    runtime.bindFunction(
      defineFunction({
        typename: "shop/cart",
        state: { items: Types.int, owner: Types.string },
        fn(ctx, msg) {
          ctx.storage.items = (ctx.storage.items ?? 0) + 1;
          if (msg.is(Types.string)) ctx.storage.owner = msg.asString();
        },
      }),
    );
    ingress = new PlaygroundIngress({ port: 0 });
    runtime.bindIngress(ingress);
    admin = createRuntimeAdmin(runtime, { port: 0, logger: silentLogger() });
    await admin.start();
    await runtime.start();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser.close();
    await runtime.stop();
    await admin.stop();
  });

  it("shows the functions with their failures, and the ingresses and egresses with their counts", async () => {
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`http://127.0.0.1:${ingress.port}/shop/cart/carol`, { method: "PUT", headers: { "content-type": "application/vnd.shop/Add" }, body: "x" });
      assert.equal(res.status, 200);
    }
    await runtime.idle();
    const { page } = browser;
    await page.goto(`${admin.url}/ui`);
    const row = page.locator('#functions tr[data-function="shop/cart"]');
    await row.waitFor();
    const cells = await row.locator("td").allTextContents();
    assert.equal(cells[0], "shop/cart");
    assert.equal(cells[4], "0", "no failures");
    assert.match((await page.locator("#status").textContent()) ?? "", /^ready · 0 messages pending/);
    const ingressRow = page.locator("#io tr", { hasText: "io.statefun.playground/ingress" });
    await ingressRow.waitFor();
    assert.deepEqual((await ingressRow.locator("td").allTextContents()).filter((_, i) => i !== 2), ["ingress", "io.statefun.playground/ingress", "2", "0"]);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: `${SCREENSHOTS}console-functions.png`, fullPage: true });
  });
});
