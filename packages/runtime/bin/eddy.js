#!/usr/bin/env node
// The compiled CLI lives in dist/; `npm run build` produces it.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const entry = new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write("eddy: the runtime is not built yet. Run `npm run build` in the repository root, then try again.\n");
  process.exit(1);
}
await import(entry.href);
