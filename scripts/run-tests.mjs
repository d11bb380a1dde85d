// Runs every *.test.ts under packages/*/test, test/ and compat/ with node's test runner.
// Node 20's `--test` takes no globs, so the files are found here. Sources are
// loaded through tsx, and the `eddy-source` export condition makes workspace
// packages resolve to their TypeScript sources, so tests need no build.
//
// Usage: node scripts/run-tests.mjs [path-filter ...]
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";

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

// The compat suite runs Eddy against the official StateFun SDKs' servers, which compat/setup.sh
// installs and builds (idempotent; a no-op in well under a second once everything is built).
// A language that cannot be set up fails the run: the compat tests must never be skipped silently.
if (files.some((f) => f.startsWith(`compat${sep}`))) {
  process.stdout.write("run-tests: preparing the compat suite's SDK servers (bash compat/setup.sh all)\n");
  const setup = spawnSync("bash", [join(root, "compat", "setup.sh"), "all"], { cwd: root, stdio: "inherit" });
  if (setup.status !== 0) {
    process.stderr.write(
      "run-tests: compat/setup.sh failed" +
        (setup.error ? ` (${setup.error.message})` : ` (exit ${setup.status ?? setup.signal})`) +
        ".\n" +
        "  The [compat-setup] ERROR lines above name each language that failed and what to check.\n" +
        "  The compat suite needs every toolchain: Node >= 20 + npm (js), Python >= 3.8 with venv (python),\n" +
        "  Go >= 1.21 (go), JDK >= 17 + Maven (java). Install the missing one and rerun, or run\n" +
        "  `bash compat/setup.sh <lang>` to retry a single language (see compat/README.md).\n" +
        "  To run the other tests without the compat suite: npm test -- packages\n",
    );
    process.exit(1);
  }
}

// The Kafka tests run against the project's real broker (scripts/kafka/use-broker.mjs).
const kafkaFolders = ["kafka", "cluster"].map((d) => join("packages", "runtime", "test", d) + sep);
if (files.some((f) => kafkaFolders.some((d) => f.startsWith(d)))) {
  const { useKafkaBroker } = await import("./kafka/use-broker.mjs");
  if (!useKafkaBroker()) {
    process.stderr.write("run-tests: the Kafka broker for packages/runtime/test/kafka and test/cluster did not start (see the [kafka] lines above).\n");
    process.exit(1);
  }
}

// The web console's tests drive a real Chromium (Debian's package): install it when missing.
if (files.some((f) => f.startsWith(join("packages", "runtime", "test", "console") + sep))) {
  const { installChromium } = await import("./browser/install.mjs");
  if (!installChromium()) {
    process.stderr.write("run-tests: the browser for packages/runtime/test/console is missing (see the [browser] lines above).\n");
    process.exit(1);
  }
}

// The tests under test/project use Eddy as a user does: from the tarballs of `npm run pack`, made
// once here (it builds what is not built) so that test files running side by side share them.
if (files.some((f) => f.startsWith(join("test", "project") + sep))) {
  process.stdout.write("run-tests: packing the packages for the test/project tests (npm run pack)\n");
  const packed = spawnSync(process.execPath, [join(root, "scripts", "pack.mjs")], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
  if (packed.status !== 0) {
    process.stderr.write("run-tests: npm run pack failed (see above); the test/project tests need its tarballs in packs/.\n");
    process.exit(1);
  }
}

const result = spawnSync(
  process.execPath,
  ["--conditions=eddy-source", "--import", "tsx", "--test", "--test-reporter=spec", "--test-concurrency=2", ...files],
  { cwd: root, stdio: "inherit", env: { ...process.env, EDDY_LOG_LEVEL: process.env.EDDY_LOG_LEVEL ?? "silent" } },
);
process.exit(result.status ?? 1);
