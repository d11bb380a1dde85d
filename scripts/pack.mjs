// `npm run pack`: installable tarballs of the published packages in packs/ (git-ignored), exactly
// what `npm publish` would upload. Each package is built (skipped when up to date), then staged in
// packs/.stage/<name>/ with only its built JS and .d.ts (no source maps: the sources are not
// shipped), its README, and a package.json without what only this repository uses: the
// `eddy-source` export condition (it points at src/, which is not shipped), scripts and
// devDependencies. `npm pack` of each staged folder writes packs/eddy-<name>-<version>.tgz.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const PACKAGES = ["protocol", "sdk", "runtime", "testing"];
const root = new URL("..", import.meta.url).pathname;
const out = join(root, "packs");
const stage = join(out, ".stage");

function fail(message) {
  process.stderr.write(`pack: ${message}\n`);
  process.exit(1);
}

/** The exports map without the repository-only `eddy-source` condition. */
function publishedExports(exports) {
  const result = {};
  for (const [path, conditions] of Object.entries(exports)) {
    if (typeof conditions === "string") {
      result[path] = conditions;
      continue;
    }
    const { "eddy-source": _source, ...rest } = conditions;
    result[path] = rest;
  }
  return result;
}

execFileSync(process.execPath, [join(root, "scripts", "build.mjs")], { stdio: "inherit" });
rmSync(out, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });

const written = [];
for (const name of PACKAGES) {
  const dir = join(root, "packages", name);
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  if (!existsSync(join(dir, "README.md"))) fail(`packages/${name} has no README.md; every published package needs one.`);
  const target = join(stage, name);
  mkdirSync(target, { recursive: true });
  for (const entry of [...(manifest.files ?? []), "README.md"]) {
    const from = join(dir, entry);
    if (!existsSync(from)) fail(`packages/${name}: "${entry}" (listed in files) does not exist; run \`npm run build\`.`);
    cpSync(from, join(target, entry), {
      recursive: true,
      filter: (path) => !path.endsWith(".map") && !path.endsWith(".build-stamp"),
    });
  }
  const { scripts: _scripts, devDependencies: _dev, ...published } = manifest;
  published.exports = publishedExports(manifest.exports);
  for (const field of ["dependencies", "peerDependencies"]) {
    for (const [dep, spec] of Object.entries(published[field] ?? {})) {
      if (/^(file|link|workspace):/.test(spec)) fail(`packages/${name} ${field}.${dep} is "${spec}", which only resolves in this repository.`);
    }
  }
  writeFileSync(join(target, "package.json"), `${JSON.stringify(published, null, 2)}\n`);
  const tarball = execFileSync("npm", ["pack", target, "--pack-destination", out, "--silent"], { encoding: "utf8" }).trim();
  written.push(tarball);
}
rmSync(stage, { recursive: true, force: true });
const listed = readdirSync(out).filter((f) => f.endsWith(".tgz"));
process.stdout.write(`pack: wrote ${listed.length} tarballs to packs/: ${written.join(", ")}\n`);
process.stdout.write("pack: in a project of your own: npm install <this repository>/packs/*.tgz\n");
