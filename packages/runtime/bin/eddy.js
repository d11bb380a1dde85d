#!/usr/bin/env node
// The compiled CLI lives in dist/; `npm run build` compiles and bundles it (scripts/build.mjs).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const entry = new URL("../dist/bundle/eddy.js", import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write("eddy: the runtime is not built yet. Run `npm run build` in the repository root, then try again.\n");
  process.exit(1);
}
await import(entry.href);
