import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { address, defineFunction, Types } from "@eddy/sdk";
import { createRuntimeAdmin, PlaygroundIngress, QuarantinePolicy, Runtime, silentLogger } from "@eddy/runtime";
import type { AdminServer } from "@eddy/runtime";
import { launchBrowser } from "../support/browser.js";
import type { Browser } from "../support/browser.js";
import { parsePrometheusText } from "../support/prometheus-text.js";
import { until } from "../runtime/helpers.js";

/** Failed attempts after which shop/pay's message is parked. */
const PARK_AFTER = 3;

/** Where the console's screenshots go, to look at (not compared). */
const SCREENSHOTS = new URL("../../../../test-results/", import.meta.url).pathname;

describe("the web console in a real browser", () => {
  let runtime: Runtime;
  let admin: AdminServer;
  let browser: Browser;
  let ingress: PlaygroundIngress;
  let broken = false;
  let paid = 0;

  before(async () => {
    runtime = new Runtime({
      logger: silentLogger(),
      partitions: 2,
      retryPolicy: { initialDelayMs: 1, maxDelayMs: 2 },
      quarantine: new QuarantinePolicy(PARK_AFTER),
    });
    runtime.bindFunction(
      defineFunction({
        typename: "shop/pay",
        fn() {
          if (broken) throw new Error("payment service down");
          paid++;
        },
      }),
    );
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

  it("searches an address and shows its state and backlog", async () => {
    for (let i = 0; i < 3; i++) await runtime.send(address("shop/cart", "alice"), { typename: Types.string.typename, value: Types.string.serialize("Alice") });
    await runtime.send(address("shop/cart", "bob/2"), { typename: Types.string.typename, value: Types.string.serialize("Bob") });
    await runtime.idle();
    const { page } = browser;
    await page.goto(`${admin.url}/ui`);
    await page.fill("#address-input", "shop/cart/alice");
    await page.click('#address-form button[type="submit"]');
    await page.locator('#address-state pre[data-state="items"]').waitFor();
    assert.equal(await page.locator('#address-state pre[data-state="items"]').textContent(), "3");
    assert.equal(await page.locator('#address-state pre[data-state="owner"]').textContent(), '"Alice"');
    assert.equal(await page.locator("#address-backlog").textContent(), "0");
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: `${SCREENSHOTS}console-address.png`, fullPage: true });

    // An id with a slash in it, then an address that never existed.
    await page.fill("#address-input", "shop/cart/bob/2");
    await page.click('#address-form button[type="submit"]');
    await page.locator('#address-state pre[data-state="owner"]', { hasText: '"Bob"' }).waitFor();
    await page.fill("#address-input", "shop/cart/nobody");
    await page.click('#address-form button[type="submit"]');
    await page.locator("#address-result p.bad").waitFor();
    assert.match((await page.locator("#address-result").textContent()) ?? "", /shop\/cart\/nobody: no such address/);
  });

  it("lists a parked address; Retry releases it, its message applies once, and it is gone", async () => {
    broken = true;
    await runtime.send(address("shop/pay", "p1"), { typename: Types.string.typename, value: Types.string.serialize("9.99") });
    await until(() => runtime.quarantined().length === 1, "the address to be parked", 100_000);
    const metrics = parsePrometheusText(await (await fetch(`${admin.url}/metrics`)).text());
    assert.equal(metrics.value("eddy_quarantined_addresses"), 1);

    const { page } = browser;
    await page.goto(`${admin.url}/ui`);
    const row = page.locator('#quarantine tr[data-address="shop/pay/p1"]');
    await row.waitFor();
    const cells = await row.locator("td").allTextContents();
    assert.match(cells[1]!, /payment service down/);
    assert.equal(cells[2], String(PARK_AFTER));
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: `${SCREENSHOTS}console-quarantine.png`, fullPage: true });

    broken = false; // the function is fixed
    await row.locator("button", { hasText: "Retry" }).click();
    await row.waitFor({ state: "detached" });
    assert.equal(await page.locator("#quarantine-notice").textContent(), "shop/pay/p1: retried");
    await page.locator("#quarantine td.empty", { hasText: "nothing is parked" }).waitFor();
    await runtime.idle();
    assert.equal(paid, 1, "the parked message applied exactly once");
    const after = parsePrometheusText(await (await fetch(`${admin.url}/metrics`)).text());
    assert.equal(after.value("eddy_quarantined_addresses"), 0);
  });
});
