import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { address, defineFunction, Types } from "@eddy/sdk";
import { createRuntimeAdmin, Runtime, silentLogger } from "@eddy/runtime";
import type { AdminServer } from "@eddy/runtime";
import { launchBrowser } from "../support/browser.js";
import type { Browser } from "../support/browser.js";

/** Where the console's screenshots go, to look at (not compared). */
const SCREENSHOTS = new URL("../../../../test-results/", import.meta.url).pathname;

describe("the web console in a real browser", () => {
  let runtime: Runtime;
  let admin: AdminServer;
  let browser: Browser;

  before(async () => {
    runtime = new Runtime({ logger: silentLogger(), partitions: 2 });
    runtime.bindFunction(
      defineFunction({
        typename: "shop/cart",
        state: { items: Types.int, owner: Types.string },
        fn(ctx, msg) {
          ctx.storage.items = (ctx.storage.items ?? 0) + 1;
          ctx.storage.owner = msg.asString();
        },
      }),
    );
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

  it("shows the functions, and an address's state after a search", async () => {
    for (let i = 0; i < 3; i++) await runtime.send(address("shop/cart", "alice"), { typename: Types.string.typename, value: Types.string.serialize("Alice") });
    await runtime.send(address("shop/cart", "bob/2"), { typename: Types.string.typename, value: Types.string.serialize("Bob") });
    await runtime.idle();
    const { page } = browser;
    await page.goto(`${admin.url}/ui`);
    const row = page.locator('#functions tr[data-function="shop/cart"]');
    await row.waitFor();
    assert.equal((await row.locator("td").first().textContent())?.trim(), "shop/cart");
    assert.match((await page.locator("#status").textContent()) ?? "", /^ready · 0 messages pending/);

    await page.fill("#address-input", "shop/cart/alice");
    await page.click('#address-form button[type="submit"]');
    await page.locator('#address-state pre[data-state="items"]').waitFor();
    assert.equal(await page.locator('#address-state pre[data-state="items"]').textContent(), "3");
    assert.equal(await page.locator('#address-state pre[data-state="owner"]').textContent(), '"Alice"');
    assert.equal(await page.locator("#address-backlog").textContent(), "0");

    // An id with a slash, and an address that never existed.
    await page.fill("#address-input", "shop/cart/bob/2");
    await page.click('#address-form button[type="submit"]');
    await page.locator('#address-state pre[data-state="owner"]:text("\\"Bob\\"")').waitFor();
    await page.fill("#address-input", "shop/cart/nobody");
    await page.click('#address-form button[type="submit"]');
    await page.locator("#address-result p.bad").waitFor();
    assert.match((await page.locator("#address-result").textContent()) ?? "", /no such address/);

    await page.fill("#address-input", "shop/cart/alice");
    await page.click('#address-form button[type="submit"]');
    await page.locator('#address-state pre[data-state="items"]').waitFor();
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: `${SCREENSHOTS}console.png`, fullPage: true });
  });
});
