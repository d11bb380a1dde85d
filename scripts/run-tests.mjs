// Runs every *.test.ts under packages/*/test and test/ with node's test runner.
// Node 20's `--test` takes no globs, so the files are found here. Sources are
// loaded through tsx, and the `eddy-source` export condition makes workspace
// packages resolve to their TypeScript sources, so tests need no build.
//
// Usage: node scripts/run-tests.mjs [path-filter ...]
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const roots = ["packages", "test", "compat"].map((d) => join(root, d));
const filters = process.argv.slice(2);

function walk(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === "node_modules" || name === "dist" || name.startsWith(".")) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith(".test.ts")) out.push(path);
  }
  return out;
}

const files = roots
  .flatMap((d) => walk(d, []))
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((p) => f.includes(p)))
  .sort();

if (files.length === 0) {
  process.stderr.write(`run-tests: no test files matched ${filters.join(" ") || "(all)"}\n`);
  process.exit(1);
}

const result = spawnSync(
  process.execPath,
  ["--conditions=eddy-source", "--import", "tsx", "--test", "--test-reporter=spec", "--test-concurrency=2", ...files],
  { cwd: root, stdio: "inherit", env: { ...process.env, EDDY_LOG_LEVEL: process.env.EDDY_LOG_LEVEL ?? "silent" } },
);
process.exit(result.status ?? 1);
