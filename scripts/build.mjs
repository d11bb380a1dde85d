// Compiles the workspace packages in dependency order (protocol → sdk → runtime → testing),
// then bundles the `eddy` CLI (see bundleCli).
// A package whose sources, tsconfig and package.json are older than its last build
// (dist/.build-stamp), and whose dependencies were not rebuilt, is skipped: `npm run demo`
// starts in well under two seconds when nothing changed. `--force` rebuilds everything.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";

const order = ["protocol", "sdk", "runtime", "testing"];
const root = new URL("..", import.meta.url).pathname;
const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
const force = process.argv.includes("--force");

function newestMtime(path) {
  let newest = 0;
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return Math.max(newest, stat.mtimeMs);
}

function stampMtime(dir) {
  try {
    return statSync(join(dir, "dist", ".build-stamp")).mtimeMs;
  } catch {
    return -1;
  }
}

/** Packages the CLI bundle inlines: plain JavaScript that only the runtime itself imports. */
const BUNDLED = ["commander", "yaml"];

/**
 * `eddy` runs dist/bundle/eddy.js: the CLI and the runtime's own modules in a
 * few files instead of some 200 (loading them one by one was a third of
 * `eddy run`'s startup; docs/performance.md). Every other dependency stays
 * an import: native code (lmdb), worker files (pino's transports), tsx, the
 * lazily loaded optional ones, and @eddy/sdk and @eddy/protocol, which a
 * user's module imports too and shares with the runtime. Dynamic imports
 * stay lazy (code splitting). dist/bundle/ is two levels below the package,
 * as every dist/<folder>/ file is, so the paths read relative to
 * import.meta.url (package.json, console/) stay right.
 */
async function bundleCli(dir) {
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const external = [...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})].filter((p) => !BUNDLED.includes(p));
  await build({
    entryPoints: { eddy: join(dir, "dist", "cli", "main.js") },
    outdir: join(dir, "dist", "bundle"),
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    external,
    // The inlined CommonJS packages call require(); an ES module has none of its own.
    banner: { js: 'import { createRequire as __eddyCreateRequire } from "node:module";\nconst require = __eddyCreateRequire(import.meta.url);' },
    logLevel: "warning",
  });
}

let upstreamRebuilt = false;
for (const name of order) {
  const dir = join(root, "packages", name);
  if (!existsSync(join(dir, "package.json"))) continue;
  const inputs = ["src", "tsconfig.json", "package.json"].map((p) => join(dir, p)).concat(join(root, "tsconfig.base.json"));
  const stamp = stampMtime(dir);
  if (!force && !upstreamRebuilt && stamp >= 0 && inputs.every((p) => newestMtime(p) <= stamp)) continue;
  // An edit made while tsc runs must count as newer than this build.
  const began = new Date();
  rmSync(join(dir, "dist"), { recursive: true, force: true });
  process.stdout.write(`build: packages/${name}\n`);
  try {
    execFileSync(process.execPath, [tsc, "-p", join(dir, "tsconfig.json")], { stdio: "inherit" });
  } catch {
    process.stderr.write(`build: packages/${name} failed to compile; run \`npm run typecheck\` for the full list of errors.\n`);
    process.exit(1);
  }
  if (name === "runtime") await bundleCli(dir);
  const stampPath = join(dir, "dist", ".build-stamp");
  writeFileSync(stampPath, `${began.toISOString()}\n`);
  utimesSync(stampPath, began, began);
  upstreamRebuilt = true;
}
