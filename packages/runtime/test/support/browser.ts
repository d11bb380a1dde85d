/**
 * A real headless Chromium (Debian's package, installed by
 * scripts/browser/install.mjs, which scripts/run-tests.mjs runs for browser
 * tests) driven by playwright-core, with a fresh profile per launch.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import type { BrowserContext, Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface Browser {
  readonly page: Page;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "eddy-chromium-"));
  let context: BrowserContext;
  try {
    // launchPersistentContext passes the profile as --user-data-dir.
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1280, height: 900 } });
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw new Error(`could not start ${CHROMIUM} (node scripts/browser/install.mjs installs it): ${error instanceof Error ? error.message : String(error)}`);
  }
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    page,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
